"""Read CSV and JSONL import files as ``(line, row)`` pairs with columns renamed by a mapping.

Line numbers are 1-based physical lines: in CSV the header is line 1 and a row is numbered by
the line it starts on; in JSONL every non-blank line is one object.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from userops.errors import Problem
from userops.text_limits import excerpt, find_unstorable, shown

FORMATS = ("csv", "jsonl")
_BREAK = re.compile(r"\r\n|\r|\n")
"""A physical line break as the CSV reader counts them (newline="" keeps them in fields)."""
_ESCAPES = re.compile(r"\\u0000|\\u[dD][89a-fA-F]|NaN|Infinity")
"""What a JSONL line holds before it can hold a value no store keeps (NUL, lone surrogate)."""
csv.field_size_limit(1 << 30)
"""A long field is a located problem of its column (``longer than N characters``), not an
error of the csv module (its default limit is 131,072 characters)."""

TWICE = "column named twice (one value would be dropped)"
"""A header (or, with ``--map``, a JSONL line) names one column twice."""


class LinesUnknown(Exception):
    """The start lines of a batch of CSV records could not be worked out exactly."""


@dataclass
class Batch:
    """Consecutive CSV records of the expected width, with the line each one starts on."""

    lines: list[int] | range
    records: list[list[str]]


@dataclass
class Reader:
    """An opened import file: its rows, and problems met while reading (not validating)."""

    path: Path
    fmt: str
    mapping: Mapping[str, str]
    known: tuple[str, ...]
    """Columns the kind understands (after mapping)."""
    required: tuple[str, ...] = ()
    """Columns a CSV header must have (after mapping)."""
    problems: list[Problem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    """Columns of the file that the kind does not use."""

    @property
    def name(self) -> str:
        """The file name used in problem lines."""
        return str(self.path)

    def rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Yield ``(line, row)``; unreadable records are recorded in ``problems``."""
        if self.fmt == "csv":
            return self._csv_rows()
        return self._jsonl_rows()

    @contextmanager
    def _csv_open(self) -> Iterator[tuple[Any, list[str]] | None]:
        """Open the CSV and read its header: ``(reader, columns)``, or None with problems."""
        with self.path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                self.problems.append(Problem("file is empty (no header)", source=self.name))
                yield None
                return
            cols = self._header(header)
            yield None if self.problems else (reader, cols)

    def _csv_rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        with self._csv_open() as opened:
            if opened is None:
                return
            reader, cols = opened
            width = len(cols)
            start = reader.line_num + 1
            for rec in reader:
                line, start = start, reader.line_num + 1
                if len(rec) != width:
                    if not any(rec):
                        continue
                    self.problems.append(
                        Problem(
                            f"expected {width} fields, got {len(rec)}",
                            source=self.name,
                            line=line,
                        )
                    )
                    continue
                yield line, dict(zip(cols, rec, strict=True))

    def csv_batches(self, size: int) -> Iterator[tuple[list[str], Batch]]:
        """Yield ``(columns, batch)`` of up to ``size`` records, each with its start line.

        The same records, problems and line numbers as :meth:`rows`, read in bulk.

        Raises:
            LinesUnknown: a batch's line numbers did not add up (callers use :meth:`rows`).
        """
        with self._csv_open() as opened:
            if opened is None:
                return
            reader, cols = opened
            start = reader.line_num + 1
            while recs := list(islice(reader, size)):
                end = reader.line_num + 1
                lines = range(start, end) if end - start == len(recs) else _lines(recs, start, end)
                start = end
                yield cols, self._fit(len(cols), Batch(lines, recs))

    def _fit(self, width: int, batch: Batch) -> Batch:
        """Drop records of the wrong width (blank ones silently, others as problems)."""
        recs = batch.records
        if set(map(len, recs)) <= {width}:
            return batch
        lines: list[int] = []
        kept: list[list[str]] = []
        for line, rec in zip(batch.lines, recs, strict=True):
            if len(rec) == width:
                lines.append(line)
                kept.append(rec)
            elif any(rec):
                self.problems.append(
                    Problem(f"expected {width} fields, got {len(rec)}", source=self.name, line=line)
                )
        return Batch(lines, kept)

    def _header(self, header: list[str]) -> list[str]:
        names = [h.strip() for h in header]
        for src in self.mapping:
            if src not in names:
                self.problems.append(
                    Problem(
                        "mapped column not in header",
                        field="--map",
                        value=f"{src}={self.mapping[src]}",
                        source=self.name,
                        line=1,
                    )
                )
        cols = [self.mapping.get(n, n) for n in names]
        for col, sources in _twice(names, self.mapping, self.known).items():
            self.problems.append(Problem(TWICE, col, sources, self.name, 1))
        for req in self.required:
            if req not in cols:
                self.problems.append(
                    Problem(
                        f"missing required column (header: {_listed(names)})",
                        field=req,
                        value="",
                        source=self.name,
                        line=1,
                    )
                )
        self.ignored = [c for c in cols if c not in self.known]
        return cols

    def _jsonl_rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        mapping = self.mapping
        with self.path.open(encoding="utf-8-sig") as fh:
            for line, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                except json.JSONDecodeError as exc:
                    self.problems.append(
                        Problem(f"not valid JSON ({exc.msg})", source=self.name, line=line)
                    )
                    continue
                if not isinstance(obj, dict):
                    self.problems.append(
                        Problem("line is not a JSON object", source=self.name, line=line)
                    )
                    continue
                if _ESCAPES.search(raw) and (bad := find_unstorable(obj)) is not None:
                    where = ".".join(map(str, bad[0])) or None
                    self.problems.append(Problem(bad[1], where, shown(bad[2]), self.name, line))
                    continue
                if mapping:
                    if twice := _twice(list(obj), mapping, self.known):
                        col, sources = next(iter(twice.items()))  # JSONL: every key is kept
                        self.problems.append(Problem(TWICE, col, sources, self.name, line))
                        continue
                    obj = {mapping.get(k, k): v for k, v in obj.items()}
                yield line, obj


def _twice(names: list[str], mapping: Mapping[str, str], known: tuple[str, ...]) -> dict[str, str]:
    """Known columns that more than one name becomes after ``mapping``: ``{col: "a, b"}``.

    Unknown ones are ignored either way (two ``""`` columns of a spreadsheet lose nothing).
    """
    sources: dict[str, list[str]] = {}
    for n in names:
        sources.setdefault(mapping.get(n, n), []).append(n)
    return {
        col: ", ".join(excerpt(s) for s in src)
        for col, src in sources.items()
        if len(src) > 1 and col in known
    }


def _listed(names: list[str], most: int = 30) -> str:
    """The header's names, each and all of them short enough to quote back."""
    shown = [excerpt(n) for n in names[:most]]
    return ", ".join(shown) + (f", ... ({len(names)} columns)" if len(names) > most else "")


def _lines(recs: list[list[str]], start: int, end: int) -> list[int]:
    """Start lines of records some of which hold line breaks inside quoted fields."""
    lines: list[int] = []
    line = start
    for rec in recs:
        lines.append(line)
        line += 1 + sum(len(_BREAK.findall(f)) for f in rec if "\n" in f or "\r" in f)
    if line != end:
        raise LinesUnknown(f"records end on line {line - 1}, the reader on {end - 1}")
    return lines


def detect_format(path: Path, fmt: str | None) -> str:
    """Return ``fmt`` or the format implied by the file suffix (``.jsonl``/``.ndjson``)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; expected one of: {', '.join(FORMATS)}")
        return fmt
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv"


def parse_mapping(items: list[str]) -> dict[str, str]:
    """Parse ``--map SOURCE=TARGET`` options into ``{source: target}``.

    Raises:
        ValueError: an item is not of the form ``SOURCE=TARGET``.
    """
    mapping: dict[str, str] = {}
    for item in items:
        src, sep, dst = item.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise ValueError(f"--map expects SOURCE=TARGET, got {item!r}")
        mapping[src.strip()] = dst.strip()
    return mapping

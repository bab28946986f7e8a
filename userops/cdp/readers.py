"""Read CSV and JSONL import files as ``(line, row)`` pairs with columns renamed by a mapping.

Line numbers are 1-based physical lines: in CSV the header is line 1 and a row is numbered by
the line it starts on; in JSONL every non-blank line is one object.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from userops.errors import Problem

FORMATS = ("csv", "jsonl")


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

    def _csv_rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        with self.path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                self.problems.append(Problem("file is empty (no header)", source=self.name))
                return
            cols = self._header(header)
            if self.problems:
                return
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
        for req in self.required:
            if req not in cols:
                self.problems.append(
                    Problem(
                        f"missing required column (header: {', '.join(names)})",
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
                if mapping:
                    obj = {mapping.get(k, k): v for k, v in obj.items()}
                yield line, obj


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

"""Parse an import file into one Arrow table of validated records, the same for every kind.

CSV files are read by pyarrow and validated column by column (:mod:`userops.cdp.ingest.columns`);
where pyarrow cannot show line numbers the ``csv`` module reads them (still column by
column); JSONL files go row by row through :class:`~userops.cdp.ingest.rows.RowChecker`. All three
give the same records and the same problems (text and line numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from userops.cdp.ingest.columns import Column, check_batch
from userops.cdp.ingest.csv_arrow import ColumnBatch, column_batches
from userops.cdp.ingest.readers import LinesUnknown, Reader
from userops.cdp.ingest.rows import Field, RowChecker, Ticker
from userops.store.sqlite_stage import Scratch

BATCH = 10_000
"""CSV records validated together when the ``csv`` module reads the file."""


@dataclass(frozen=True)
class Spec:
    """What one import kind reads: its fields, their bulk checks, the table it makes."""

    fields: dict[str, Field]
    """Field name -> validator (the row path and the problem texts)."""
    columns: dict[str, Column]
    """Field name -> bulk check (the column path)."""
    schema: pa.Schema
    """Columns of the parsed table: one per field, in order (names may differ), then the
    columns ``finish`` adds."""
    finish: Callable[[list[pa.Array]], list[pa.Array]] | None = None
    """Adds derived columns to a batch's field columns (e.g. dedupe keys)."""
    to_arrow: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    """Row path: converts a field's validated value to the table's value (e.g. JSON text)."""

    def batch(self, columns: list[pa.Array]) -> pa.RecordBatch:
        """The table batch of validated field columns."""
        if self.finish is not None:
            columns = self.finish(columns)
        return pa.RecordBatch.from_arrays(columns, schema=self.schema)


@dataclass
class Parsed:
    """Validated records of one file, in file order, with the line each came from."""

    table: pa.Table
    lines: list[int]
    rows: int = 0
    """Data rows read (good and bad)."""

    @property
    def records(self) -> list[tuple[Any, ...]]:
        """The records as tuples (for tests and small files)."""
        return list(zip(*(c.to_pylist() for c in self.table.columns), strict=True))


def parse(reader: Reader, ticker: Ticker, spec: Spec, sink: Scratch | None = None) -> Parsed:
    """Validate every row of ``reader``; problems go to ``reader.problems``.

    The good records also go to ``sink`` as they are validated (when given).
    """
    if reader.fmt == "csv":
        for arrow in (True, False):
            try:
                return parse_columns(reader, ticker, spec, sink, arrow=arrow)
            except LinesUnknown:
                reader.problems.clear()
                ticker.pending = 0
                if sink is not None:
                    sink.reset()
    parsed = parse_rows(reader, ticker, spec)
    if sink is not None:
        sink.add(parsed.table)
    return parsed


def parse_columns(
    reader: Reader, ticker: Ticker, spec: Spec, sink: Scratch | None = None, *, arrow: bool
) -> Parsed:
    """The column path: pyarrow (``arrow``) or the ``csv`` module reads the batches.

    Raises:
        LinesUnknown: line numbers cannot be shown this way.
    """
    out = Parsed(spec.schema.empty_table(), [])
    parts: list[pa.RecordBatch] = []
    check = RowChecker(spec.fields, reader.name, reader.problems)
    for cols, batch in _batches(reader, arrow):
        out.rows += len(batch)
        columns, where = check_batch(spec.fields, spec.columns, cols, batch, check)
        parts.append(spec.batch(columns))
        if sink is not None:
            sink.add(parts[-1])
        out.lines += where
        ticker.advance(len(batch))
    ticker.flush()
    out.table = pa.Table.from_batches(parts, schema=spec.schema)
    return out


def _batches(reader: Reader, arrow: bool) -> Iterator[tuple[list[str], ColumnBatch]]:
    if arrow:
        return column_batches(reader)
    return ((c, ColumnBatch.from_batch(b, len(c))) for c, b in reader.csv_batches(BATCH))


def parse_rows(reader: Reader, ticker: Ticker, spec: Spec) -> Parsed:
    """The row path (JSONL, and CSV files whose lines cannot be counted)."""
    out = Parsed(spec.schema.empty_table(), [])
    records: list[tuple[Any, ...]] = []
    check = RowChecker(spec.fields, reader.name, reader.problems)
    names = list(spec.fields)
    for line, row in reader.rows():
        out.rows += 1
        ticker.tick()
        rec = check(row, line)
        if rec is not None:
            records.append(tuple(map(rec.get, names)))
            out.lines.append(line)
    ticker.flush()
    columns: list[pa.Array] = []
    for i, name in enumerate(names):
        values = [r[i] for r in records]
        convert = spec.to_arrow.get(name)
        if convert is not None:
            values = [None if x is None else convert(x) for x in values]
        columns.append(pa.array(values, spec.columns[name].kind))
    out.table = pa.Table.from_batches([spec.batch(columns)], schema=spec.schema)
    return out

"""Read a CSV import file as Arrow columns, with the line each record starts on.

pyarrow's reader parses in C++ and splits fields the way the ``csv`` module does with its
default dialect (``,`` separated, ``"`` quoted, quotes doubled inside quotes). Line numbers
come from counting: the header is line 1, so record *i* starts on line *i + 2*, which holds
when no field holds a line break and no line was skipped. Where that cannot be shown (a field
with a line break, a blank line, a lone CR, a record of another width, bytes that are not
UTF-8, a header spread over lines) :class:`~userops.cdp.ingest.readers.LinesUnknown` sends the
caller to :meth:`Reader.csv_batches`, which numbers records one by one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from userops.cdp.ingest.readers import Batch, LinesUnknown, Reader

BLOCK = 1 << 20
"""Bytes pyarrow parses per task (about 10,000 user records)."""
ROWS = 50_000
"""Records validated together (and the progress step)."""


@dataclass
class ColumnBatch:
    """Consecutive CSV records as one string column per file column, with their start lines."""

    lines: list[int] | range
    columns: list[pa.Array]

    def __len__(self) -> int:
        """Number of records."""
        return len(self.lines)

    def rows(self, cols: list[str], positions: list[int]) -> list[dict[str, Any]]:
        """The records at ``positions`` as ``{column: raw value}`` dicts (for problem rows)."""
        picked = [c.take(pa.array(positions, pa.int64())).to_pylist() for c in self.columns]
        return [dict(zip(cols, vals, strict=True)) for vals in zip(*picked, strict=True)]

    @classmethod
    def from_batch(cls, batch: Batch, width: int) -> ColumnBatch:
        """Turn a batch of the ``csv`` module's records into columns."""
        if not batch.records:
            return cls(batch.lines, [pa.array([], pa.string()) for _ in range(width)])
        cols = zip(*batch.records, strict=True)
        return cls(batch.lines, [pa.array(c, pa.string()) for c in cols])


def column_batches(reader: Reader) -> Iterator[tuple[list[str], ColumnBatch]]:
    """Yield ``(columns, batch)`` for the whole file, read by pyarrow, ``ROWS`` at a time.

    The same records, problems and line numbers as :meth:`Reader.rows`; problems met reading
    the header go to ``reader.problems`` (and nothing is yielded).

    Raises:
        LinesUnknown: line numbers cannot be shown by counting (the caller reads the file
            with :meth:`Reader.csv_batches` instead).
    """
    with reader._csv_open() as opened:  # the header: mapping, required columns, BOM
        if opened is None:
            return
        head, cols = opened
        if head.line_num != 1:
            raise LinesUnknown("the header spans lines")
    data = reader.path.read_bytes()
    lines, quoted = count_lines(data)
    names = [f"c{i}" for i in range(len(cols))]
    read = pcsv.ReadOptions(column_names=names, skip_rows=1, block_size=BLOCK)
    convert = pcsv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:  # all of it at once: pyarrow parses the blocks on all cores
        table = pcsv.read_csv(pa.BufferReader(data), read_options=read, convert_options=convert)
    except pa.ArrowInvalid as exc:  # a record of another width, bad UTF-8, an open quote...
        raise LinesUnknown(str(exc)) from None
    if table.num_rows + 1 != lines:
        raise LinesUnknown(f"{table.num_rows} records on {lines - 1} lines")
    if quoted and any(_breaks(col) for col in table.columns):
        raise LinesUnknown("a field holds a line break")
    for start in range(0, table.num_rows, ROWS):
        part = table.slice(start, ROWS)
        columns = [c.combine_chunks() for c in part.columns]
        yield cols, ColumnBatch(range(start + 2, start + 2 + part.num_rows), columns)


def _breaks(col: pa.Array) -> bool:
    found = pc.or_(pc.match_substring(col, "\n"), pc.match_substring(col, "\r"))
    return bool(pc.any(found).as_py())


def count_lines(data: bytes) -> tuple[int, bool]:
    """Physical lines of ``data`` and whether it holds a quote.

    A last line without a line break counts; without a quote no field can hold a line break.

    Raises:
        LinesUnknown: the data has a CR that is not part of a CRLF.
    """
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        raise LinesUnknown("a CR without LF")
    return data.count(b"\n") + (data[-1:] not in (b"", b"\n")), b'"' in data

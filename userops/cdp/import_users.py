"""Import of user records: validate every row, then upsert users and their identities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from userops.cdp import users_sql
from userops.cdp import validate as v
from userops.cdp.columns import check_batch
from userops.cdp.csv_arrow import ColumnBatch, column_batches
from userops.cdp.readers import LinesUnknown, Reader
from userops.cdp.rows import Counts, Field, RowChecker, Ticker, paused_gc
from userops.cdp.user_columns import COLUMNS
from userops.errors import Problem
from userops.store.sqlite_stage import Scratch

FIELDS: dict[str, Field] = {
    "user_id": Field(v.text(128), required=True),
    "name": Field(v.text(200)),
    "phone": Field(v.phone),
    "email": Field(v.email),
    "wechat_openid": Field(v.text(128)),
    "wechat_unionid": Field(v.text(128)),
    "device_id": Field(v.text(128)),
    "timezone": Field(v.timezone),
    "language": Field(v.language),
    "region": Field(v.text(64)),
    "source": Field(v.source),
    "created_at": Field(v.timestamp),
}
"""Importable user columns; ``user_id`` becomes ``users.external_id``."""

DEFAULT_COLUMNS = (
    "user_id, name, phone, email, wechat_openid, device_id, timezone, language, region, created_at"
)
BATCH = 10_000
"""CSV records validated together when the ``csv`` module reads the file."""
SCHEMA = pa.schema([(c, pa.int64() if c == "created_ts" else pa.string()) for c in users_sql.COLS])
"""Columns of the parsed table: ``FIELDS`` in order, ``user_id`` as ``external_id``."""


@dataclass
class Parsed:
    """Validated user records of one file, in file order, one per external id.

    One column per ``FIELDS`` entry in that order (``created_at`` as epoch seconds);
    null where the file has no value.
    """

    table: pa.Table = field(default_factory=SCHEMA.empty_table)
    rows: int = 0

    @property
    def records(self) -> list[tuple[Any, ...]]:
        """The records as tuples (for tests and small files)."""
        return list(zip(*(c.to_pylist() for c in self.table.columns), strict=True))


def parse(reader: Reader, ticker: Ticker, sink: Scratch | None = None) -> Parsed:
    """Validate every row of ``reader``; problems go to ``reader.problems``.

    The good records also go to ``sink`` as they are validated (when given).

    CSV files are read by pyarrow and validated column by column; where pyarrow cannot show
    line numbers the ``csv`` module reads them (still column by column); JSONL row by row.
    """
    with paused_gc():
        if reader.fmt == "csv":
            for arrow in (True, False):
                try:
                    return _parse_columns(reader, ticker, sink, arrow=arrow)
                except LinesUnknown:
                    reader.problems.clear()
                    ticker.pending = 0
                    if sink is not None:
                        sink.reset()
        parsed = _parse_rows(reader, ticker)
        if sink is not None:
            sink.add(parsed.table)
        return parsed


def _parse_columns(
    reader: Reader, ticker: Ticker, sink: Scratch | None = None, *, arrow: bool
) -> Parsed:
    out = Parsed()
    lines: list[int] = []
    parts: list[pa.RecordBatch] = []
    check = RowChecker(FIELDS, reader.name, reader.problems)
    if arrow:
        batches = column_batches(reader)
    else:
        batches = (
            (cols, ColumnBatch.from_batch(b, len(cols))) for cols, b in reader.csv_batches(BATCH)
        )
    for cols, batch in batches:
        out.rows += len(batch)
        columns, where = check_batch(FIELDS, COLUMNS, cols, batch, check)
        parts.append(pa.RecordBatch.from_arrays(columns, schema=SCHEMA))
        if sink is not None:
            sink.add(parts[-1])
        lines += where
        ticker.advance(len(batch))
    ticker.flush()
    out.table = pa.Table.from_batches(parts, schema=SCHEMA)
    _drop_duplicates(out, lines, reader)
    return out


def _parse_rows(reader: Reader, ticker: Ticker) -> Parsed:
    out = Parsed()
    lines: list[int] = []
    records: list[tuple[Any, ...]] = []
    check = RowChecker(FIELDS, reader.name, reader.problems)
    for line, row in reader.rows():
        out.rows += 1
        ticker.tick()
        rec = check(row, line)
        if rec is not None:
            records.append(tuple(map(rec.get, FIELDS)))
            lines.append(line)
    ticker.flush()
    columns = zip(*records, strict=True) if records else ([] for _ in SCHEMA)
    out.table = pa.Table.from_arrays(
        [pa.array(c, f.type) for c, f in zip(columns, SCHEMA, strict=True)], schema=SCHEMA
    )
    _drop_duplicates(out, lines, reader)
    return out


def _drop_duplicates(parsed: Parsed, lines: list[int], reader: Reader) -> None:
    """Keep the first record of each external id; the later ones become problems."""
    ids = parsed.table.column(0).combine_chunks()
    if len(pc.unique(ids)) == len(ids):
        return
    first: dict[str, int] = {}
    kept: list[bool] = []
    for ext, line in zip(ids.to_pylist(), lines, strict=True):
        kept.append(ext not in first)
        if ext in first:
            reader.problems.append(
                Problem(
                    f"duplicate user_id (first on line {first[ext]})",
                    field="user_id",
                    value=ext,
                    source=reader.name,
                    line=line,
                )
            )
            continue
        first[ext] = line
    parsed.table = parsed.table.filter(pa.array(kept))


def write(conn: Connection, parsed: Parsed, *, with_ids: bool = True) -> Counts:
    """Upsert the parsed records and their identities inside the caller's transaction.

    On SQLite ``conn`` must have the scratch the records were parsed into attached.

    ``with_ids=False`` skips listing the records' user ids (``Counts.user_ids``).
    """
    return users_sql.write(conn, parsed.table, with_ids=with_ids)

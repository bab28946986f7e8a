"""Import of user records: validate every row, then upsert users and their identities."""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection

from userops.cdp import users_sql
from userops.cdp import validate as v
from userops.cdp.readers import LinesUnknown, Reader
from userops.cdp.rows import Counts, Field, RowChecker, Ticker, paused_gc
from userops.cdp.user_columns import check_batch
from userops.errors import Problem

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
"""CSV records validated together (and the progress step)."""


@dataclass
class Parsed:
    """Validated user records of one file, in file order, one per external id.

    Each record is a tuple of the values of ``FIELDS`` in that order (``created_at`` as
    epoch seconds); ``None`` where the file has no value.
    """

    records: list[tuple[Any, ...]] = field(default_factory=list)
    rows: int = 0


def parse(reader: Reader, ticker: Ticker) -> Parsed:
    """Validate every row of ``reader``; problems go to ``reader.problems``.

    CSV files are read in batches and validated column by column; JSONL row by row.
    """
    with paused_gc():
        if reader.fmt == "csv":
            try:
                return _parse_columns(reader, ticker)
            except LinesUnknown:
                reader.problems.clear()
        return _parse_rows(reader, ticker)


def _parse_columns(reader: Reader, ticker: Ticker) -> Parsed:
    out = Parsed()
    lines: list[int] = []
    check = RowChecker(FIELDS, reader.name, reader.problems)
    for cols, batch in reader.csv_batches(BATCH):
        out.rows += len(batch.records)
        rows, where = check_batch(FIELDS, cols, batch, check)
        out.records += rows
        lines += where
        ticker.advance(len(batch.records))
    ticker.flush()
    _drop_duplicates(out, lines, reader)
    return out


def _parse_rows(reader: Reader, ticker: Ticker) -> Parsed:
    out = Parsed()
    lines: list[int] = []
    check = RowChecker(FIELDS, reader.name, reader.problems)
    for line, row in reader.rows():
        out.rows += 1
        ticker.tick()
        rec = check(row, line)
        if rec is not None:
            out.records.append(tuple(map(rec.get, FIELDS)))
            lines.append(line)
    ticker.flush()
    _drop_duplicates(out, lines, reader)
    return out


def _drop_duplicates(parsed: Parsed, lines: list[int], reader: Reader) -> None:
    """Keep the first record of each external id; the later ones become problems."""
    if len(set(map(itemgetter(0), parsed.records))) == len(parsed.records):
        return
    first: dict[str, int] = {}
    kept: list[tuple[Any, ...]] = []
    for row, line in zip(parsed.records, lines, strict=True):
        ext = row[0]
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
        kept.append(row)
    parsed.records = kept


def write(conn: Connection, parsed: Parsed, *, with_ids: bool = True) -> Counts:
    """Upsert the parsed records and their identities inside the caller's transaction.

    ``with_ids=False`` skips listing the records' user ids (``Counts.user_ids``).
    """
    return users_sql.write(conn, parsed.records, with_ids=with_ids)

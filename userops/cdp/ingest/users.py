"""Import of user records: validate every row, then upsert users and their identities."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from userops.cdp.ingest import table_parse, users_sql
from userops.cdp.ingest import validate as v
from userops.cdp.ingest.readers import Reader
from userops.cdp.ingest.rows import Counts, Field, Ticker
from userops.cdp.ingest.table_parse import Parsed, Spec
from userops.cdp.ingest.user_columns import COLUMNS
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
SCHEMA = pa.schema([(c, pa.int64() if c == "created_ts" else pa.string()) for c in users_sql.COLS])
"""Columns of the parsed table: ``FIELDS`` in order, ``user_id`` as ``external_id``."""
SPEC = Spec(FIELDS, COLUMNS, SCHEMA)


def parse(reader: Reader, ticker: Ticker, sink: Scratch | None = None) -> Parsed:
    """Validate every row of ``reader``; problems go to ``reader.problems``.

    The good records also go to ``sink`` as they are validated (when given). Returns one
    record per external id (later duplicates are problems).
    """
    parsed = table_parse.parse(reader, ticker, SPEC, sink)
    _drop_duplicates(parsed, reader)
    return parsed


def _drop_duplicates(parsed: Parsed, reader: Reader) -> None:
    """Keep the first record of each external id; the later ones become problems."""
    ids = parsed.table.column(0).combine_chunks()
    if len(pc.unique(ids)) == len(ids):
        return
    first: dict[str, int] = {}
    kept: list[bool] = []
    for ext, line in zip(ids.to_pylist(), parsed.lines, strict=True):
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
    parsed.lines = [ln for ln, k in zip(parsed.lines, kept, strict=True) if k]


def write(conn: Connection, parsed: Parsed, *, with_ids: bool = True) -> Counts:
    """Upsert the parsed records and their identities inside the caller's transaction.

    On SQLite ``conn`` must have the scratch the records were parsed into attached.

    ``with_ids=False`` skips listing the records' user ids (``Counts.user_ids``).
    """
    return users_sql.write(conn, parsed.table, with_ids=with_ids)

"""Import of consents: upsert by (user record, channel), newer ``ts`` wins, every change audited."""

from __future__ import annotations

import pyarrow as pa
from sqlalchemy import Connection

from userops.cdp.ingest import consents_sql, table_parse
from userops.cdp.ingest import validate as v
from userops.cdp.ingest.columns import Column, by_value, text_fast, timestamp_fast
from userops.cdp.ingest.readers import Reader
from userops.cdp.ingest.rows import Counts, Field, Ticker
from userops.cdp.ingest.table_parse import Parsed, Spec
from userops.store.sqlite_stage import Scratch

FIELDS: dict[str, Field] = {
    "user_id": Field(v.text(128), required=True),
    "channel": Field(v.channel, required=True),
    "status": Field(v.consent_status, required=True),
    "source": Field(v.text(64)),
    "ts": Field(v.timestamp, required=True),
}
"""Importable consent columns; ``user_id`` is the external id of an imported user record."""
COLUMNS: dict[str, Column] = {
    "user_id": Column(text_fast(128)),
    "channel": Column(by_value(v.channel, pa.string())),
    "status": Column(by_value(v.consent_status, pa.string())),
    "source": Column(text_fast(64)),
    "ts": Column(timestamp_fast, pa.int64()),
}
"""Bulk checks of the consent columns."""
SCHEMA = pa.schema([(c, COLUMNS[f].kind) for c, f in zip(consents_sql.COLS, FIELDS, strict=True)])
"""Columns of the parsed table: ``FIELDS`` in order, ``user_id`` as ``user_ext``."""
SPEC = Spec(FIELDS, COLUMNS, SCHEMA)


def parse(reader: Reader, ticker: Ticker, sink: Scratch | None = None) -> Parsed:
    """Validate every row; problems go to ``reader.problems``, good consents to ``sink``."""
    return table_parse.parse(reader, ticker, SPEC, sink)


def write(conn: Connection, parsed: Parsed, source: str) -> Counts:
    """Apply consents newer than the stored ones and audit each change."""
    inserted, updated = consents_sql.apply(conn, source)
    counts = Counts(inserted=inserted, updated=updated)
    counts.unchanged = parsed.rows - inserted - updated
    return counts

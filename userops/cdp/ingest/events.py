"""Import of events: validate every row, map user ids, insert-or-ignore by a dedupe key."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from userops.cdp.ingest import consents_sql, events_sql, table_parse
from userops.cdp.ingest import validate as v
from userops.cdp.ingest.columns import (
    Column,
    amount_fast,
    by_value,
    quantity_fast,
    text_fast,
    timestamp_fast,
)
from userops.cdp.ingest.event_keys import VALUES, column_keys
from userops.cdp.ingest.readers import Reader
from userops.cdp.ingest.rows import Counts, Field, Ticker
from userops.cdp.ingest.table_parse import Parsed, Spec
from userops.store.sqlite_stage import Scratch

FIELDS: dict[str, Field] = {
    "event_id": Field(v.text(128)),
    "user_id": Field(v.text(128), required=True),
    "type": Field(v.event_type, required=True),
    "ts": Field(v.timestamp, required=True),
    "channel": Field(v.channel),
    "amount": Field(v.amount),
    "quantity": Field(v.quantity),
    "campaign_id": Field(v.text(64)),
    "text": Field(v.text(20000)),
    "properties": Field(v.properties),
}
"""Importable event columns; ``user_id`` is the external id of an imported user record."""


def _props_text(raw: str) -> str:
    return json.dumps(v.properties(raw), ensure_ascii=False)


COLUMNS: dict[str, Column] = {
    "event_id": Column(text_fast(128)),
    "user_id": Column(text_fast(128)),
    "type": Column(by_value(v.event_type, pa.string())),
    "ts": Column(timestamp_fast, pa.int64()),
    "channel": Column(by_value(v.channel, pa.string())),
    "amount": Column(amount_fast, pa.float64()),
    "quantity": Column(quantity_fast, pa.int64()),
    "campaign_id": Column(text_fast(64)),
    "text": Column(text_fast(20000)),
    "properties": Column(by_value(_props_text, pa.string())),
}
"""Bulk checks of the event columns; properties become the JSON text that is stored."""


def _with_keys(columns: list[pa.Array]) -> list[pa.Array]:
    event_id, ext, *values = columns
    return [*columns, column_keys(event_id, ext, dict(zip(VALUES, values, strict=True)))]


SCHEMA = pa.schema(
    [(c, COLUMNS[f].kind) for c, f in zip(events_sql.COLS, FIELDS, strict=False)]
    + [("dedupe_key", pa.string())]
)
"""Columns of the parsed table: ``FIELDS`` in order (``user_id`` as ``user_ext``), then the
dedupe key."""
SPEC = Spec(
    FIELDS,
    COLUMNS,
    SCHEMA,
    finish=_with_keys,
    to_arrow={"properties": lambda d: json.dumps(d, ensure_ascii=False)},
)


def parse(reader: Reader, ticker: Ticker, sink: Scratch | None = None) -> Parsed:
    """Validate every row; problems go to ``reader.problems``, good events to ``sink``."""
    return table_parse.parse(reader, ticker, SPEC, sink)


def write(conn: Connection, parsed: Parsed, source: str = "import") -> Counts:
    """Insert events whose dedupe key is not stored yet (inside the caller's transaction).

    ``message_opted_out`` events with a channel also withdraw that channel's consent when
    they are newer than the stored one (:func:`consents_sql.withdraw_opt_outs`, audited with
    ``source``): an imported opt-out is an opt-out. Counted as ``consents_withdrawn``.
    """
    rows = parsed.table.num_rows
    distinct = len(pc.unique(parsed.table.column("dedupe_key"))) == rows
    withdrawn = consents_sql.withdraw_opt_outs(conn, events_sql.TMP, source)
    inserted = events_sql.insert_new(conn, rows, distinct=distinct)
    counts = Counts(inserted=inserted, unchanged=rows - inserted)
    counts.extra["consents_withdrawn"] = withdrawn
    return counts

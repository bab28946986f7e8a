"""Import of events: validate every row, map user ids, insert-or-ignore by a row hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, select

from userops.cdp import validate as v
from userops.cdp.readers import Reader
from userops.cdp.rows import Counts, Field, RowChecker, Ticker, bulk_insert, chunks, resolve_users
from userops.store.models import Event

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

_EVENTS = cast(Table, Event.__table__)
_COLS = ("type", "ts", "channel", "amount", "quantity", "campaign_id", "text", "properties")


@dataclass
class Parsed:
    """Validated events of one file with the line each came from."""

    rows: int = 0
    events: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    """``(line, external user id, normalized row)``."""
    user_ids: dict[str, int] = field(default_factory=dict)


def dedupe_key(ext: str, rec: dict[str, Any]) -> str:
    """Stable hash of a normalized event (or of its ``event_id`` when the file has one)."""
    if rec.get("event_id"):
        basis = "id\x1f" + str(rec["event_id"])
    else:
        values = [ext, *(rec.get(c) for c in _COLS)]
        basis = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha1(basis.encode()).hexdigest()


def parse(reader: Reader, ticker: Ticker, conn: Connection) -> Parsed:
    """Validate every row and resolve user ids; problems go to ``reader.problems``."""
    out = Parsed()
    problems = reader.problems
    name = reader.name
    check = RowChecker(FIELDS, reader.name, problems)
    for line, row in reader.rows():
        out.rows += 1
        ticker.tick()
        rec = check(row, line)
        if rec is not None:
            out.events.append((line, rec.pop("user_id"), rec))
    ticker.flush()
    refs = [(line, ext) for line, ext, _ in out.events]
    out.user_ids = resolve_users(conn, refs, name, problems)
    return out


def write(conn: Connection, parsed: Parsed) -> Counts:
    """Insert events whose dedupe key is not stored yet (inside the caller's transaction)."""
    rows: dict[str, tuple[Any, ...]] = {}
    for _line, ext, rec in parsed.events:
        key = dedupe_key(ext, rec)
        if key in rows:
            continue
        props = rec.get("properties")
        rows[key] = (
            parsed.user_ids[ext],
            *(rec.get(c) for c in _COLS[:-1]),
            None if props is None else json.dumps(props, ensure_ascii=False),
            key,
        )
    stored: set[str] = set()
    keys = list(rows)
    col = _EVENTS.c.dedupe_key
    for part in chunks(keys):
        stored.update(k for (k,) in conn.execute(select(col).where(col.in_(part))))
    new = [rows[k] for k in keys if k not in stored]
    cols = ("user_id", *_COLS, "dedupe_key")
    bulk_insert(conn, "events", cols, new, ignore_conflict_on="dedupe_key")
    return Counts(inserted=len(new), unchanged=len(parsed.events) - len(new))

"""The durable write of accepted messages: records on first sight, events insert-or-ignore.

Everything here runs inside the caller's transaction, with the driver's ``executemany``
(no ORM objects). A message with a ``userId`` belongs to the record whose ``external_id`` is
that id; a message with only an ``anonymousId`` belongs to the record holding that
``anonymous_id`` identity (an identified user after ``identify``), else to the record
``anon:<anonymousId>``, made on first sight with that identity. Records are created with
insert-or-ignore in external-id order, so two workers seeing the same new user at once
make one record and never deadlock on each other. Events dedupe by ``events.dedupe_key``,
a hash of (source, messageId): a retried message is ignored, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection

from userops.cdp.stream.context import language_of
from userops.cdp.stream.mapping import Row
from userops.cdp.stream.sources import Sender
from userops.cdp.stream.spec import Message
from userops.cdp.stream.traits import ANONYMOUS_ID

ANON_PREFIX = "anon:"
"""External id prefix of a record known only by a Segment ``anonymousId``."""
LOOKUP_CHUNK = 500
EVENT_COLS = (
    "user_id, type, ts, channel, amount, quantity, campaign_id, properties, text, dedupe_key"
)


@dataclass(slots=True)
class FirstSight:
    """Record attributes taken from the first message of a user the store does not know."""

    created_ts: int
    timezone: str | None = None
    language: str | None = None


def first_sight(msg: Message) -> FirstSight:
    """The record attributes a message gives a user seen for the first time."""
    return FirstSight(msg.ts, msg.context.get("timezone"), language_of(msg.context))


def dedupe_key(source_id: int, message_id: str) -> str:
    """The ``events.dedupe_key`` of a message (never equal to an imported row's key)."""
    return hashlib.sha1(f"segment\x1f{source_id}\x1f{message_id}".encode()).hexdigest()


def marks(conn: Connection, n: int) -> str:
    """``n`` driver placeholders, comma-separated."""
    one = "?" if conn.dialect.name == "sqlite" else "%s"
    return ", ".join([one] * n)


def executemany(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> int:
    """Run ``sql`` (driver placeholders) once per row in the transaction; rows changed."""
    if not rows:
        return 0
    cur = conn.connection.cursor()
    try:
        cur.executemany(sql, rows)
        return max(0, int(cur.rowcount))
    finally:
        cur.close()


def fetch(conn: Connection, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (driver placeholders) as plain tuples."""
    cur = conn.connection.cursor()
    try:
        cur.execute(sql, params)
        return [tuple(r) for r in cur.fetchall()]
    finally:
        cur.close()


def user_records(conn: Connection, sender: Sender, wanted: dict[str, FirstSight]) -> dict[str, int]:
    """External id -> record id for every id in ``wanted``; unknown ones are created."""
    found = _by_external_id(conn, wanted)
    missing = sorted(k for k in wanted if k not in found)
    if missing:
        sql = (
            "INSERT INTO users (external_id, source, timezone, language, created_ts,"
            f" do_not_contact) VALUES ({marks(conn, 6)}) ON CONFLICT (external_id) DO NOTHING"
        )
        rows = []
        for ext in missing:
            first = wanted[ext]
            tz = first.timezone or "Asia/Shanghai"
            rows.append(
                (ext, sender.touchpoint, tz, first.language or "zh", first.created_ts, False)
            )
        executemany(conn, sql, rows)
        found.update(_by_external_id(conn, missing))
    return found


def _by_external_id(conn: Connection, ids: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    keys = list(ids)
    for i in range(0, len(keys), LOOKUP_CHUNK):
        part = keys[i : i + LOOKUP_CHUNK]
        sql = f"SELECT external_id, id FROM users WHERE external_id IN ({marks(conn, len(part))})"
        out.update((str(e), int(u)) for e, u in fetch(conn, sql, part))
    return out


def anonymous_records(
    conn: Connection, sender: Sender, wanted: dict[str, FirstSight]
) -> dict[str, int]:
    """Map each anonymousId to its record: the user holding the identity, else ``anon:<id>``."""
    out: dict[str, int] = {}
    keys = sorted(wanted)
    for i in range(0, len(keys), LOOKUP_CHUNK):
        part = keys[i : i + LOOKUP_CHUNK]
        sql = (
            "SELECT i.value, min(coalesce(u.merged_into, u.id)) FROM identities i"
            " JOIN users u ON u.id = i.user_id"
            f" WHERE i.kind = '{ANONYMOUS_ID}' AND i.value IN ({marks(conn, len(part))})"
            " GROUP BY i.value"
        )
        out.update((str(a), int(u)) for a, u in fetch(conn, sql, part))
    missing = [a for a in keys if a not in out]
    if missing:
        made = user_records(conn, sender, {ANON_PREFIX + a: wanted[a] for a in missing})
        new = {a: made[ANON_PREFIX + a] for a in missing}
        add_identities(conn, sender, [(uid, ANONYMOUS_ID, a) for a, uid in new.items()])
        out.update(new)
    return out


def add_identities(conn: Connection, sender: Sender, rows: Sequence[tuple[int, str, str]]) -> int:
    """Insert ``(record, kind, value)`` identities not stored yet; return how many."""
    sql = (
        f"INSERT INTO identities (user_id, kind, value, source) VALUES ({marks(conn, 4)})"
        " ON CONFLICT (kind, value, user_id) DO NOTHING"
    )
    return executemany(conn, sql, [(u, k, val, sender.name) for u, k, val in rows])


def insert_events(conn: Connection, sender: Sender, items: Sequence[tuple[int, str, Row]]) -> int:
    """Insert ``(record, messageId, row)`` events not stored yet; return how many."""
    cast = "CAST(%s AS JSON)" if conn.dialect.name == "postgresql" else "?"
    values = marks(conn, 10).split(", ")
    values[7] = cast
    sql = (
        f"INSERT INTO events ({EVENT_COLS}) VALUES ({', '.join(values)})"
        " ON CONFLICT (dedupe_key) DO NOTHING"
    )
    dumps = orjson.dumps
    sid = sender.id
    rows = [
        (
            uid,
            r.type,
            r.ts,
            r.channel,
            r.amount,
            r.quantity,
            r.campaign_id,
            dumps(r.properties).decode() if r.properties else None,
            r.text,
            dedupe_key(sid, mid),
        )
        for uid, mid, r in items
    ]
    if conn.dialect.name == "postgresql":
        return _insert_rows_pg(conn, f"({', '.join(values)})", rows)
    return executemany(conn, sql, rows)


PG_ROWS_PER_STATEMENT = 500
"""Events per ``INSERT`` on PostgreSQL (10 parameters each: far below the 65,535 limit)."""


def _insert_rows_pg(conn: Connection, row_marks: str, rows: Sequence[Sequence[Any]]) -> int:
    """Insert-or-ignore ``rows`` into ``events`` with one multi-row statement per chunk.

    ``executemany`` runs one statement per row, and every statement fires the statement
    trigger that keeps ``event_counts`` (a grouped upsert over its transition table):
    one statement per chunk fires it once per chunk. Duplicates within a statement are
    skipped by ``ON CONFLICT DO NOTHING`` as across statements. Returns rows inserted.
    """
    done = 0
    cur = conn.connection.cursor()
    try:
        for i in range(0, len(rows), PG_ROWS_PER_STATEMENT):
            part = rows[i : i + PG_ROWS_PER_STATEMENT]
            cur.execute(
                f"INSERT INTO events ({EVENT_COLS}) VALUES {', '.join([row_marks] * len(part))}"
                " ON CONFLICT (dedupe_key) DO NOTHING",
                [v for row in part for v in row],
            )
            done += max(0, int(cur.rowcount))
    finally:
        cur.close()
    return done

"""``identify`` and ``alias``: record updates, identities, consents, identity resolution.

Each is applied once per (source, messageId) (``ingest_messages``), in batch order, inside
the caller's transaction; on PostgreSQL under a transaction-level advisory lock, so that
two workers never resolve overlapping identities at once. The records whose identities
changed are resolved at the end with :func:`userops.cdp.identity.resolve.resolve_in` (the file
importer's resolver: shared phone, e-mail, openid... merge). Consents follow the importer's
rule (a consent newer than the stored one wins; at an equal time a withdrawal wins) and every
change is audited with its source.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Table, insert, text

from userops.cdp.identity.resolve import resolve_in
from userops.cdp.stream.sources import Sender
from userops.cdp.stream.spec import Message
from userops.cdp.stream.traits import ANONYMOUS_ID, IDENTITY_COLUMNS, USER_ID, Profile
from userops.cdp.stream.write import (
    add_identities,
    anonymous_records,
    fetch,
    first_sight,
    marks,
    user_records,
)
from userops.errors import BadInput
from userops.store.models import AuditLog

ACTOR = "ingest"
_AUDIT = cast(Table, AuditLog.__table__)
LOCK = (0x75736572, 8)
"""PostgreSQL advisory-lock key (two-int form) held while identities change."""


def apply(
    conn: Connection,
    sender: Sender,
    items: Sequence[tuple[Message, Profile | None]],
    received_ts: int,
) -> tuple[int, set[int]]:
    """Apply identify (with its mapped profile) and alias messages; return (applied, records)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": LOCK[0], "b": LOCK[1]})
    applied = 0
    touched: set[int] = set()
    resolve: set[int] = set()
    for msg, prof in items:
        uid = _record(conn, sender, msg)
        if not _first_time(conn, sender, msg, uid, received_ts):
            continue
        applied += 1
        touched.add(uid)
        links: list[tuple[int, str, str]] = []
        if msg.anonymous_id is not None and msg.user_id is not None:
            links.append((uid, ANONYMOUS_ID, msg.anonymous_id))
        # an alias (spec.parse requires its previousId): that record (made if new) shares a user_id
        if msg.type == "alias" and msg.previous_id is not None:
            prev = user_records(conn, sender, {msg.previous_id: first_sight(msg)})[msg.previous_id]
            links.append((uid, ANONYMOUS_ID, msg.previous_id))
            links += [(uid, USER_ID, msg.previous_id), (prev, USER_ID, msg.previous_id)]
            touched.add(prev)
        elif prof is not None:
            _update_record(conn, uid, prof)
            links += [(uid, k, str(prof.columns[k])) for k in IDENTITY_COLUMNS if k in prof.columns]
            set_consents(conn, sender, msg, uid, prof.consents)
        if add_identities(conn, sender, links) or msg.type == "alias":
            resolve.update(u for u, _, _ in links)
    if resolve:
        resolve_in(conn, user_ids=sorted(resolve), actor=ACTOR)
    return applied, touched


def _record(conn: Connection, sender: Sender, msg: Message) -> int:
    first = first_sight(msg)
    if msg.user_id is not None:
        return user_records(conn, sender, {msg.user_id: first})[msg.user_id]
    if msg.anonymous_id is None:  # spec.parse refuses such a message; this keeps it so
        raise BadInput.one("needs userId or anonymousId", field="anonymousId", value=None)
    return anonymous_records(conn, sender, {msg.anonymous_id: first})[msg.anonymous_id]


def _first_time(conn: Connection, sender: Sender, msg: Message, uid: int, now: int) -> bool:
    sql = (
        "INSERT INTO ingest_messages (source_id, message_id, type, user_id, received_ts)"
        f" VALUES ({marks(conn, 5)}) ON CONFLICT (source_id, message_id) DO NOTHING"
    )
    cur = conn.connection.cursor()
    try:
        cur.execute(sql, (sender.id, msg.message_id, msg.type, uid, now))
        return int(cur.rowcount) == 1
    finally:
        cur.close()


def _update_record(conn: Connection, uid: int, prof: Profile) -> None:
    cols = dict(prof.columns)
    if prof.extra:
        row = fetch(conn, f"SELECT attributes FROM users WHERE id = {marks(conn, 1)}", [uid])
        attrs = _json(row[0][0]) if row else {}
        attrs["traits"] = {**(attrs.get("traits") or {}), **prof.extra}
        cols["attributes"] = orjson.dumps(attrs).decode()
    if not cols:
        return
    one = marks(conn, 1)
    sets = ", ".join(
        f"{c} = CAST({one} AS JSON)" if c == "attributes" and one == "%s" else f"{c} = {one}"
        for c in cols
    )
    cur = conn.connection.cursor()
    try:
        cur.execute(f"UPDATE users SET {sets} WHERE id = {one}", (*cols.values(), uid))
    finally:
        cur.close()


def _json(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    loaded = orjson.loads(value)
    return loaded if isinstance(loaded, dict) else {}


def set_consents(
    conn: Connection, sender: Sender, msg: Message, uid: int, consents: dict[str, str]
) -> int:
    """Upsert ``channel -> status`` of record ``uid`` at the message time; audit each change.

    A newer consent wins; at an equal time a withdrawal wins over a grant (the safe reading,
    as for imported and provider opt-outs).
    """
    changed = 0
    one = marks(conn, 1)
    for channel, status in sorted(consents.items()):
        old = fetch(
            conn,
            f"SELECT status, source, ts FROM consents WHERE user_id = {one} AND channel = {one}",
            [uid, channel],
        )
        sql = (
            f"INSERT INTO consents (user_id, channel, status, source, ts) VALUES ({marks(conn, 5)})"
            " ON CONFLICT (user_id, channel) DO UPDATE SET status = excluded.status,"
            " source = excluded.source, ts = excluded.ts WHERE consents.ts < excluded.ts"
            " OR (consents.ts = excluded.ts AND excluded.status = 'withdrawn'"
            " AND consents.status <> 'withdrawn')"
        )
        cur = conn.connection.cursor()
        try:
            cur.execute(sql, (uid, channel, status, sender.name, msg.ts))
            done = int(cur.rowcount) == 1
        finally:
            cur.close()
        if not done:
            continue
        changed += 1
        before = None if not old else {"status": old[0][0], "source": old[0][1], "ts": old[0][2]}
        detail = {
            "user_id": uid,
            "channel": channel,
            "old": before,
            "new": {"status": status, "source": sender.name, "ts": msg.ts},
            "source": sender.name,
            "message_id": msg.message_id,
        }
        if msg.type == "track":
            detail["event"] = msg.name
        conn.execute(
            insert(_AUDIT).values(
                at=datetime.now(UTC),
                actor=ACTOR,
                action="consent.set",
                entity_type="consent",
                entity_id=f"{uid}:{channel}",
                detail=detail,
            )
        )
    return changed

"""The outbox: idempotency keys, immutable content records, atomic claims, transitions.

State machine: ``pending → sending → sent | failed | deferred | suppressed | dead``;
``deferred`` rows become due again at ``not_before_ts``; a ``sending`` row whose lease
expired (its worker died) is claimed again. Claims are one atomic statement:
``UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING …`` on SQLite and the same with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never hold the same row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, text

from userops.store.models import AuditLog

CONTENT_ENTITY = "dispatch_content"
STEP_ENTITY = "dispatch_step"
_CONTENT_CACHE: dict[str, dict[str, Any]] = {}


def idempotency_key(campaign_id: str, step_id: str, user_id: int, channel: str) -> str:
    """The exactly-once key of one message: ``campaign|step|user|channel``."""
    return f"{campaign_id}|{step_id}|{user_id}|{channel}"


def put_record(conn: Connection, entity: str, record: dict[str, Any], entity_id: str = "") -> str:
    """Store an immutable record in the audit log once; return its id (content hash)."""
    rid = entity_id or record_id(record)
    found = conn.execute(
        select(AuditLog.id).where(AuditLog.entity_type == entity, AuditLog.entity_id == rid)
    ).first()
    if found is None:
        conn.execute(
            insert(AuditLog).values(
                actor="dispatch", action="store", entity_type=entity, entity_id=rid, detail=record
            )
        )
    return rid


def get_record(conn: Connection, entity: str, rid: str) -> dict[str, Any] | None:
    """Return a record stored by :func:`put_record` (content records are cached)."""
    if entity == CONTENT_ENTITY and rid in _CONTENT_CACHE:
        return _CONTENT_CACHE[rid]
    row = conn.execute(
        select(AuditLog.detail)
        .where(AuditLog.entity_type == entity, AuditLog.entity_id == rid)
        .order_by(AuditLog.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    detail: dict[str, Any] = row[0]
    if entity == CONTENT_ENTITY:
        _CONTENT_CACHE[rid] = detail
    return detail


@dataclass(slots=True)
class Claimed:
    """One claimed outbox row."""

    id: int
    key: str
    campaign_id: str
    step_id: str
    user_id: int
    channel: str
    variant: str | None
    content: dict[str, Any]
    marketing: bool
    attempts: int
    cost: float


_COLS = (
    "id, idempotency_key, campaign_id, step_id, user_id, channel, variant, content,"
    " marketing, attempts, cost"
)
_CLAIM = (
    "UPDATE outbox SET state = 'sending', lease_owner = :owner, lease_until_ts = :until"
    " WHERE id IN (SELECT id FROM outbox WHERE {where}{chan} LIMIT :n{lock})"
    f" RETURNING {_COLS}"
)
_DUE = "state IN ('pending', 'deferred') AND not_before_ts <= :now"
_EXPIRED = "state = 'sending' AND lease_until_ts < :now"


def claim(
    conn: Connection,
    *,
    owner: str,
    now: int,
    lease_s: int,
    limit: int,
    channels: Sequence[str] | None = None,
) -> list[Claimed]:
    """Atomically lease up to ``limit`` due rows (expired leases first) to ``owner``."""
    lock = " FOR UPDATE SKIP LOCKED" if conn.dialect.name == "postgresql" else ""
    chan = " AND channel IN :chans" if channels else ""
    out: list[Claimed] = []
    for where in (_EXPIRED, _DUE):
        if len(out) >= limit:
            break
        stmt = text(_CLAIM.format(where=where, chan=chan, lock=lock))
        params: dict[str, Any] = {
            "owner": owner,
            "until": now + lease_s,
            "now": now,
            "n": limit - len(out),
        }
        if channels:
            stmt = stmt.bindparams(bindparam("chans", expanding=True))
            params["chans"] = list(channels)
        for r in conn.execute(stmt, params):
            content = r[7] if isinstance(r[7], dict) else json.loads(r[7] or "{}")
            out.append(
                Claimed(r[0], r[1], r[2], r[3], r[4], r[5], r[6], content, bool(r[8]), r[9], r[10])
            )
    return out


def mark_sent(
    conn: Connection, ids: list[int], *, owner: str, now: int, provider_ids: dict[int, str]
) -> list[int]:
    """Mark rows still leased by ``owner`` as sent; return the ids actually updated."""
    if not ids:
        return []
    stmt = text(
        "UPDATE outbox SET state = 'sent', sent_ts = :now, lease_owner = NULL,"
        " lease_until_ts = NULL, reason = NULL WHERE id IN :ids AND lease_owner = :owner"
        " AND state = 'sending' RETURNING id"
    ).bindparams(bindparam("ids", expanding=True))
    done = [r[0] for r in conn.execute(stmt, {"now": now, "ids": ids, "owner": owner})]
    if provider_ids:
        conn.execute(
            text("UPDATE outbox SET provider_message_id = :p WHERE id = :id"),
            [{"p": p, "id": i} for i, p in provider_ids.items()],
        )
    return done


def transition(conn: Connection, rows: list[dict[str, Any]], *, owner: str) -> None:
    """Move leased rows to ``state`` (deferred/suppressed/failed/dead/pending) with a reason.

    Each row dict holds ``id``, ``state``, ``nbt`` (not-before), ``reason`` and ``tries``
    (failed hand-overs to add to ``attempts``).
    """
    if not rows:
        return
    conn.execute(
        text(
            "UPDATE outbox SET state = :state, not_before_ts = :nbt, reason = :reason,"
            " attempts = attempts + :tries, lease_owner = NULL, lease_until_ts = NULL"
            " WHERE id = :id AND lease_owner = :owner AND state = 'sending'"
        ),
        [{**r, "owner": owner} for r in rows],
    )


def status(engine: Engine) -> dict[str, Any]:
    """Counts of outbox rows per state, per channel and state, and per reason."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT state, channel, reason, count(*) FROM outbox"
                " GROUP BY state, channel, reason"
            )
        ).all()
    by_state: dict[str, int] = {}
    by_channel: dict[str, dict[str, int]] = {}
    by_reason: dict[str, int] = {}
    for state, channel, reason, n in rows:
        by_state[state] = by_state.get(state, 0) + n
        ch = by_channel.setdefault(channel, {})
        ch[state] = ch.get(state, 0) + n
        if reason:
            key = f"{state}:{reason}"
            by_reason[key] = by_reason.get(key, 0) + n
    return {
        "total": sum(by_state.values()),
        "by_state": by_state,
        "by_channel": by_channel,
        "by_reason": by_reason,
    }


def record_id(record: dict[str, Any]) -> str:
    """The content hash under which :func:`put_record` stores ``record``."""
    blob = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()

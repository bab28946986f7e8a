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

from sqlalchemy import Connection, Engine, insert, select, text

from userops.dispatch.sql import fetch, in_list, is_pg, list_param, many
from userops.store.models import AuditLog

CONTENT_ENTITY = "dispatch_content"
STEP_ENTITY = "dispatch_step"
_CONTENT_CACHE: dict[str, dict[str, Any]] = {}
_REF_CACHE: dict[str, dict[str, Any]] = {}


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
    "UPDATE outbox SET state = 'sending', lease_owner = ?, lease_until_ts = ?"
    " WHERE id IN (SELECT id FROM outbox WHERE {where}{filters} LIMIT ?{lock})"
    f" RETURNING {_COLS}"
)
_DUE = "state IN ('pending', 'deferred') AND not_before_ts <= ?"
_EXPIRED = "state = 'sending' AND lease_until_ts < ?"
_EXPIRED_OR_MINE = "state = 'sending' AND (lease_until_ts < ? OR lease_owner = ?)"


def claim(
    conn: Connection,
    *,
    owner: str,
    now: int,
    lease_s: int,
    limit: int,
    channels: Sequence[str] | None = None,
    campaigns: Sequence[str] | None = None,
    reclaim_own: bool = False,
) -> list[Claimed]:
    """Atomically lease up to ``limit`` due rows (expired leases first) to ``owner``.

    ``channels`` / ``campaigns``: only rows of these (a simulation claims only the campaign
    it simulates). ``reclaim_own``: also take back rows ``owner`` still leases, at once
    instead of at the lease's end (a batch whose transaction failed left them ``sending``).
    """
    lock = " FOR UPDATE SKIP LOCKED" if is_pg(conn) else ""
    filters = ""
    extra: list[Any] = []
    if channels:
        filters += " AND " + in_list(conn, "channel", "text")
        extra.append(list_param(conn, channels))
    if campaigns:
        filters += " AND " + in_list(conn, "campaign_id", "text")
        extra.append(list_param(conn, campaigns))
    out: list[Claimed] = []
    expired = (_EXPIRED_OR_MINE, [now, owner]) if reclaim_own else (_EXPIRED, [now])
    for where, wparams in (expired, (_DUE, [now])):
        if len(out) >= limit:
            break
        params: list[Any] = [owner, now + lease_s, *wparams, *extra, limit - len(out)]
        stmt = _CLAIM.format(where=where, filters=filters, lock=lock)
        for r in fetch(conn, stmt, params):
            content = r[7] if isinstance(r[7], dict) else _parse(r[7])
            out.append(
                Claimed(r[0], r[1], r[2], r[3], r[4], r[5], r[6], content, bool(r[8]), r[9], r[10])
            )
    return out


def _parse(blob: str | None) -> dict[str, Any]:
    """Parse a stored content reference (few distinct values: memoized)."""
    key = blob or "{}"
    got = _REF_CACHE.get(key)
    if got is None:
        got = json.loads(key)
        if len(_REF_CACHE) < 10000:
            _REF_CACHE[key] = got
    return got


def mark_sent(
    conn: Connection, ids: list[int], *, owner: str, now: int, provider_ids: dict[int, str]
) -> list[int]:
    """Mark rows still leased by ``owner`` as sent; return the ids actually updated."""
    if not ids:
        return []
    stmt = (
        "UPDATE outbox SET state = 'sent', sent_ts = ?, lease_owner = NULL,"
        " lease_until_ts = NULL, reason = NULL WHERE " + in_list(conn, "id") + " AND"
        " lease_owner = ? AND state = 'sending' RETURNING id"
    )
    done = [r[0] for r in fetch(conn, stmt, [now, list_param(conn, ids), owner])]
    many(
        conn,
        "UPDATE outbox SET provider_message_id = ? WHERE id = ?",
        [(p, i) for i, p in provider_ids.items()],
    )
    return done


def transition(conn: Connection, rows: list[dict[str, Any]], *, owner: str) -> None:
    """Move leased rows to ``state`` (deferred/suppressed/failed/dead/pending) with a reason.

    Each row dict holds ``id``, ``state``, ``nbt`` (not-before), ``reason`` and ``tries``
    (failed hand-overs to add to ``attempts``).
    """
    many(
        conn,
        "UPDATE outbox SET state = ?, not_before_ts = ?, reason = ?, attempts = attempts + ?,"
        " lease_owner = NULL, lease_until_ts = NULL WHERE id = ? AND lease_owner = ?"
        " AND state = 'sending'",
        [(r["state"], r["nbt"], r["reason"], r["tries"], r["id"], owner) for r in rows],
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

"""A person's threads (from the audit of their messages) and one thread arranged for reading."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, func, select

from userops.store.models import AuditLog

PLAIN_STATUS = (
    "new",
    "planning",
    "needs_clarification",
    "awaiting_approval",
    "blocked",
    "refused",
    "completed",
    "dispatched",
    "journey_proposed",
)
"""Statuses with a plain-words line ``web.status.<status>`` (others show ``web.status.other``)."""


def list_threads(engine: Engine, actor: str | None, *, limit: int = 50) -> list[dict[str, Any]]:
    """Threads with messages by ``actor`` (every thread when None), newest activity first.

    Each: ``thread_id``, ``first`` (the first message's text), ``last_at``, ``messages``.
    """
    t = cast(Table, AuditLog.__table__)
    where = [t.c.action == "thread.message", t.c.entity_type == "thread"]
    if actor is not None:
        where.append(t.c.actor == actor)
    q = (
        select(t.c.entity_id, func.min(t.c.id), func.max(t.c.at), func.count())
        .where(*where)
        .group_by(t.c.entity_id)
        .order_by(func.max(t.c.id).desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(q).all()
        firsts = {
            r.id: r.detail
            for r in conn.execute(
                select(t.c.id, t.c.detail).where(t.c.id.in_([r[1] for r in rows]))
            )
        }
    out = []
    for tid, first_id, last_at, n in rows:
        detail = firsts.get(first_id) or {}
        out.append(
            {
                "thread_id": tid,
                "first": str(detail.get("text") or "")[:120],
                "last_at": last_at,
                "messages": int(n),
            }
        )
    return out


def age_parts(when: Any, now: datetime | None = None) -> tuple[int, str]:
    """How long ago ``when`` was, as ``(n, unit)`` with unit ``min``, ``hour`` or ``day``."""
    if when is None:
        return 0, "min"
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    secs = max(0.0, ((now or datetime.now(UTC)) - when).total_seconds())
    if secs < 3600:
        return int(secs // 60), "min"
    if secs < 86400:
        return int(secs // 3600), "hour"
    return int(secs // 86400), "day"


def conversation(values: dict[str, Any]) -> list[dict[str, str]]:
    """The thread's messages as ``{"who": "you"|"userops", "text"}``."""
    out = []
    for m in values.get("messages") or []:
        kind = getattr(m, "type", "ai")
        content = getattr(m, "content", m)
        if isinstance(content, list):
            content = " ".join(
                str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content
            )
        out.append({"who": "you" if kind == "human" else "userops", "text": str(content)})
    return out

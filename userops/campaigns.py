"""Campaign rows: created once (by the loop or the dispatch engine), updated with an audit row.

The one place that writes the ``campaigns`` table (and the lessons of a campaign): the loop's
nodes and the dispatch engine both call :func:`ensure_campaign`, so a campaign is created the
same way whoever gets there first. Also the store reads the loop needs about its campaigns'
threads (the recovery sweep, the checkpoint pruning, the demo's thread numbering).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
    union,
    update,
)

from userops.store.audit import audit
from userops.store.models import Approval, Campaign, Lesson, ThreadEvent, utcnow

_T = cast(Table, Campaign.__table__)
_LESSONS = cast(Table, Lesson.__table__)


def ensure_campaign(
    conn: Connection,
    campaign_id: str,
    *,
    status: str = "running",
    budget: float | None = None,
    thread_id: str | None = None,
    goal: dict[str, Any] | None = None,
    created_by: str | None = None,
) -> bool:
    """Create the campaign row if missing, inside the caller's transaction; True if created.

    A row that exists is left as it is, except that a missing budget is filled with
    ``budget`` (a step enqueued with a budget on a campaign created without one). The name
    is the goal's text (first 200 characters), else the id.
    """
    row = conn.execute(select(_T.c.budget).where(_T.c.id == campaign_id)).first()
    if row is not None:
        if row[0] is None and budget is not None:
            conn.execute(update(_T).where(_T.c.id == campaign_id).values(budget=budget))
        return False
    said = goal or {}
    conn.execute(
        insert(_T).values(
            id=campaign_id,
            thread_id=thread_id,
            name=str(said.get("text", ""))[:200] or campaign_id,
            objective=said.get("objective"),
            language=said.get("language", "zh"),
            status=status,
            goal=goal,
            revision=0,
            budget=budget,
            created_by=created_by,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
    )
    return True


def open_campaign(
    engine: Engine,
    campaign_id: str,
    *,
    thread_id: str,
    goal: dict[str, Any],
    requested_by: str,
) -> None:
    """Create the draft campaign of a goal if missing (idempotent) and audit its creation."""
    with engine.begin() as conn:
        created = ensure_campaign(
            conn,
            campaign_id,
            status="draft",
            budget=(goal.get("constraints") or {}).get("budget"),
            thread_id=thread_id,
            goal=goal,
            created_by=requested_by,
        )
        if created:
            detail = {"goal": str(goal.get("text", ""))}
            audit(conn, requested_by, "campaign.create", "campaign", campaign_id, detail)


def set_campaign(
    engine: Engine, campaign_id: str, *, actor: str, action: str, **values: Any
) -> None:
    """Update the campaign row and audit the change as ``action`` (the plan by its name)."""
    with engine.begin() as conn:
        conn.execute(update(_T).where(_T.c.id == campaign_id).values(updated_at=utcnow(), **values))
        detail = {k: v for k, v in values.items() if k != "plan"}
        if "plan" in values:
            detail["plan_name"] = (values["plan"] or {}).get("name")
        audit(conn, actor, action, "campaign", campaign_id, detail)


def has_lesson(engine: Engine, campaign_id: str) -> bool:
    """Whether a lesson of ``campaign_id`` is stored."""
    q = select(_LESSONS.c.id).where(_LESSONS.c.campaign_id == campaign_id).limit(1)
    with engine.connect() as conn:
        return conn.execute(q).first() is not None


def add_lesson(
    engine: Engine, campaign_id: str, *, objective: str | None, language: str, text: str
) -> None:
    """Store one lesson row of ``campaign_id``."""
    row = {"campaign_id": campaign_id, "objective": objective, "language": language, "text": text}
    with engine.begin() as conn:
        conn.execute(insert(_LESSONS).values(**row))


_APPROVAL_THREADS = text(
    "SELECT a.thread_id, a.id, a.status FROM approvals a JOIN campaigns c ON c.id = a.campaign_id"
    " WHERE a.thread_id IS NOT NULL AND (c.status IS NULL OR c.status <> 'completed')"
    " ORDER BY a.created_at, a.id"
)


def open_approval_threads(engine: Engine) -> list[tuple[str, str, str]]:
    """Return ``(thread_id, latest approval_id, its status)`` of threads of open campaigns.

    Open: not ``completed``. Latest: the approval created last on the thread.
    """
    latest: dict[str, tuple[str, str]] = {}
    with engine.connect() as conn:
        for thread_id, approval_id, status in conn.execute(_APPROVAL_THREADS):
            latest[str(thread_id)] = (str(approval_id), str(status))
    return [(t, a, s) for t, (a, s) in latest.items()]


_FINISHED_THREADS = text(
    "SELECT c.thread_id FROM campaigns c WHERE c.thread_id IS NOT NULL "
    "GROUP BY c.thread_id HAVING "
    "sum(CASE WHEN c.status IN ('completed', 'blocked', 'refused') "
    "AND c.updated_at < :cut THEN 0 ELSE 1 END) = 0 "
    "AND NOT EXISTS (SELECT 1 FROM approvals a WHERE a.thread_id = c.thread_id "
    "AND a.status = 'pending')"
).bindparams(bindparam("cut", type_=DateTime(timezone=True)))


def finished_threads(engine: Engine, cutoff: datetime) -> list[str]:
    """Return the threads whose every campaign finished before ``cutoff``, none pending.

    Finished: ``completed``, ``blocked`` or ``refused``, last updated before ``cutoff``; a
    thread with a pending approval is never finished.
    """
    with engine.connect() as conn:
        return [str(t) for t in conn.execute(_FINISHED_THREADS, {"cut": cutoff}).scalars()]


def count_created_by(engine: Engine, actor: str) -> int:
    """Return how many campaigns ``actor`` created."""
    q = select(func.count()).select_from(_T).where(_T.c.created_by == actor)
    with engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


def known_threads(engine: Engine) -> list[str]:
    """Return the thread ids the store knows (campaigns, approvals, thread events), sorted."""
    q: Any = union(
        select(_T.c.thread_id).where(_T.c.thread_id.is_not(None)),
        select(Approval.thread_id).where(Approval.thread_id.is_not(None)),
        select(ThreadEvent.thread_id),
    )
    with engine.connect() as conn:
        return sorted({str(t) for (t,) in conn.execute(q)})

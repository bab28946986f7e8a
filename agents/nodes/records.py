"""Campaign rows the loop keeps up to date (status, plan revision), with audit rows."""

from __future__ import annotations

import hashlib
from typing import Any, cast

from sqlalchemy import Engine, Table, insert, select, update

from userops.approvals import audit
from userops.store.models import Campaign, utcnow


def campaign_id_for(thread_id: str, goal_no: int) -> str:
    """Return the stable campaign id of the ``goal_no``-th goal of a thread."""
    return "c-" + hashlib.sha256(f"{thread_id}:{goal_no}".encode()).hexdigest()[:12]


def ensure_campaign(
    engine: Engine,
    campaign_id: str,
    *,
    thread_id: str,
    goal: dict[str, Any],
    requested_by: str,
) -> None:
    """Create the campaign row if missing (idempotent) and audit it."""
    t = cast(Table, Campaign.__table__)
    with engine.begin() as conn:
        if conn.execute(select(t.c.id).where(t.c.id == campaign_id)).first() is not None:
            return
        text = str(goal.get("text", ""))
        conn.execute(
            insert(t).values(
                id=campaign_id,
                thread_id=thread_id,
                name=text[:200] or campaign_id,
                objective=goal.get("objective"),
                language=goal.get("language", "zh"),
                status="draft",
                goal=goal,
                revision=0,
                budget=(goal.get("constraints") or {}).get("budget"),
                created_by=requested_by,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        audit(conn, requested_by, "campaign.create", "campaign", campaign_id, {"goal": text})


def set_campaign(
    engine: Engine, campaign_id: str, *, actor: str, action: str, **values: Any
) -> None:
    """Update the campaign row and audit the change as ``action``."""
    t = cast(Table, Campaign.__table__)
    with engine.begin() as conn:
        conn.execute(update(t).where(t.c.id == campaign_id).values(updated_at=utcnow(), **values))
        detail = {k: v for k, v in values.items() if k != "plan"}
        if "plan" in values:
            detail["plan_name"] = (values["plan"] or {}).get("name")
        audit(conn, actor, action, "campaign", campaign_id, detail)

"""The approver inbox: approvals and journey versions, with what a decision needs at a glance."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Engine, Table, select

from userops.store.models import Approval

RISKS = ("low", "medium", "high")
STATUSES = ("pending", "approved", "rejected", "edited")


def _row(r: Any) -> dict[str, Any]:
    card = r.card or {}
    plan = card.get("plan") or {}
    contract = card.get("contract") or {}
    understood = card.get("understood") or {}
    return {
        "kind": "campaign",
        "id": r.id,
        "href": f"/ui/approvals/{r.id}",
        "title": str(plan.get("name") or r.campaign_id),
        "goal": str(understood.get("text") or "")[:160],
        "requested_by": r.requested_by or "",
        "audience": int(card.get("audience_size") or 0),
        "max_messages": int(contract.get("max_messages") or 0),
        "max_cost": float(contract.get("max_cost") or 0.0),
        "budget": plan.get("budget"),
        "risk": r.risk_tier,
        "status": r.status,
        "revision": r.revision,
        "created_at": r.created_at,
        "channels": sorted({b["channel"] for b in contract.get("by_channel") or []}),
    }


def _matches(item: dict[str, Any], q: str) -> bool:
    hay = " ".join(
        str(item.get(k) or "") for k in ("title", "goal", "requested_by", "id", "channels")
    )
    return q in hay.lower()


def approvals_page(
    engine: Engine,
    *,
    status: str | None = "pending",
    risk: str | None = None,
    q: str = "",
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Approvals newest first, filtered by status, risk and words (title, goal, requester)."""
    t = cast(Table, Approval.__table__)
    cols = [t.c[c] for c in ("id", "campaign_id", "revision", "status", "risk_tier", "card")]
    cols += [t.c.requested_by, t.c.created_at]
    stmt = select(*cols).order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
    if status in STATUSES:
        stmt = stmt.where(t.c.status == status)
    if risk in RISKS:
        stmt = stmt.where(t.c.risk_tier == risk)
    with engine.connect() as conn:
        items = [_row(r) for r in conn.execute(stmt)]
    words = q.strip().lower()[:100]
    return [i for i in items if _matches(i, words)] if words else items


def journey_versions(
    engine: Engine, *, status: str | None = "pending", q: str = "", limit: int = 100
) -> list[dict[str, Any]]:
    """Journey versions (awaiting approval when ``status`` is ``pending``), newest first."""
    from userops.journeys.tables import journeys, versions

    want = {"pending": "awaiting_approval", "approved": "approved", "rejected": "rejected"}
    stmt = (
        select(
            versions.c.journey_id,
            versions.c.version,
            versions.c.status,
            versions.c.created_by,
            versions.c.created_at,
            versions.c.spec,
            journeys.c.name,
        )
        .join(journeys, journeys.c.id == versions.c.journey_id)
        .order_by(versions.c.created_at.desc())
        .limit(limit)
    )
    if status in want:
        stmt = stmt.where(versions.c.status == want[status])
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    out = []
    for r in rows:
        spec = r.spec or {}
        channels = sorted(
            {str(c) for n in spec.get("nodes") or [] for c in n.get("channels") or []}
        )
        item = {
            "kind": "journey",
            "id": f"{r.journey_id} v{r.version}",
            "href": f"/ui/journeys/{r.journey_id}/{r.version}",
            "title": str(r.name),
            "goal": str(spec.get("description") or "")[:160],
            "requested_by": r.created_by,
            "status": r.status,
            "created_at": r.created_at,
            "channels": channels,
            "trigger": (spec.get("trigger") or {}).get("kind"),
            "nodes": len(spec.get("nodes") or []),
        }
        if not q or _matches(item, q.strip().lower()[:100]):
            out.append(item)
    return out

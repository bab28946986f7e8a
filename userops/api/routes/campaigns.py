"""Campaigns: status, messages (no contact data), KPI of treatment vs holdout over time."""

from __future__ import annotations

from typing import Any, Literal, cast

from fastapi import APIRouter, Query
from sqlalchemy import Engine, Table, func, select

from userops.api.deps import AnyUser, EngineDep
from userops.api.loop import jsonable
from userops.errors import NotFound
from userops.store.models import Campaign, Outbox

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])
Metric = Literal["conversion_rate", "click_rate", "open_rate", "reply_rate"]
_COLS = (
    "id",
    "thread_id",
    "name",
    "objective",
    "language",
    "status",
    "revision",
    "budget",
    "spent",
    "created_by",
    "created_at",
    "updated_at",
)


def _campaign(engine: Engine, campaign_id: str) -> dict[str, Any]:
    t = cast(Table, Campaign.__table__)
    with engine.connect() as conn:
        row = conn.execute(select(t).where(t.c.id == campaign_id)).mappings().first()
    if row is None:
        raise NotFound(f"no campaign {campaign_id!r}")
    return dict(row)


@router.get("")
def list_campaigns(
    _user: AnyUser, engine: EngineDep, limit: int = Query(default=50, ge=1, le=500)
) -> list[dict[str, Any]]:
    """List campaigns, newest first."""
    t = cast(Table, Campaign.__table__)
    q = select(*(t.c[c] for c in _COLS)).order_by(t.c.created_at.desc()).limit(limit)
    with engine.connect() as conn:
        return [jsonable(dict(r)) for r in conn.execute(q).mappings()]


@router.get("/{campaign_id}")
def get_campaign(campaign_id: str, _user: AnyUser, engine: EngineDep) -> dict[str, Any]:
    """Campaign status, plan and message counts by channel and state."""
    row = _campaign(engine, campaign_id)
    o = cast(Table, Outbox.__table__)
    q = (
        select(o.c.channel, o.c.state, func.count())
        .where(o.c.campaign_id == campaign_id)
        .group_by(o.c.channel, o.c.state)
    )
    with engine.connect() as conn:
        counts = [{"channel": c, "state": s, "n": int(n)} for c, s, n in conn.execute(q)]
    out: dict[str, Any] = jsonable(row)
    out["messages"] = counts
    return out


@router.get("/{campaign_id}/messages")
def campaign_messages(
    campaign_id: str,
    _user: AnyUser,
    engine: EngineDep,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=1_000_000_000),
) -> list[dict[str, Any]]:
    """Messages of the campaign (user id, channel, variant, state; never an address)."""
    _campaign(engine, campaign_id)
    o = cast(Table, Outbox.__table__)
    cols = [
        o.c[c]
        for c in ("id", "step_id", "user_id", "channel", "variant", "state", "sent_ts", "cost")
    ]
    q = select(*cols).where(o.c.campaign_id == campaign_id).order_by(o.c.id)
    with engine.connect() as conn:
        rows = conn.execute(q.limit(limit).offset(offset)).mappings()
        return [jsonable(dict(r)) for r in rows]


@router.get("/{campaign_id}/kpi")
def campaign_kpi(
    campaign_id: str,
    _user: AnyUser,
    engine: EngineDep,
    metric: Metric = "conversion_rate",
    step_id: str = Query(default="s1", max_length=32),
    days: int = Query(default=7, ge=1, le=60),
) -> dict[str, Any]:
    """KPI after 1..``days`` days from assignment: treatment vs holdout with 95% CI."""
    from userops.measure import measure_campaign

    _campaign(engine, campaign_id)
    series = []
    for d in range(1, days + 1):
        m = measure_campaign(
            engine, campaign_id, step_id=step_id, metric=metric, window_s=d * 86400
        )
        series.append({"day": d, **m["kpi"]})
    return {"campaign_id": campaign_id, "metric": metric, "step_id": step_id, "series": series}

"""Campaign and journey results for the dashboards: over time, per channel, per variant."""

from __future__ import annotations

import time
from typing import Any, cast

from sqlalchemy import Engine, Table, func, select, text

from userops.measure import outcome_ctes, wilson
from userops.store.meta import is_simulated
from userops.store.models import Campaign, Outbox

DAY = 86400


def kpi_series(
    engine: Engine, campaign_id: str, *, step_id: str = "s1", metric: str, days: int
) -> list[dict[str, Any]]:
    """The KPI after 1..``days`` days: rates of treatment and holdout with Wilson 95% bands."""
    from userops.measure import arm_stats

    out = []
    for d in range(1, days + 1):
        stats = arm_stats(engine, campaign_id, metric=metric, window_s=d * DAY)
        point: dict[str, Any] = {"day": d}
        for arm in ("treatment", "holdout"):
            s = stats.get((step_id, arm))
            n, k = (s.n, s.successes) if s else (0, 0)
            lo, hi = wilson(k, n) if n else (0.0, 0.0)
            point[arm] = {"n": n, "k": k, "rate": k / n if n else 0.0, "lo": lo, "hi": hi}
        out.append(point)
    return out


def by_channel(engine: Engine, campaign_id: str) -> list[dict[str, Any]]:
    """Messages of the campaign per channel: sent, deferred/pending, suppressed, cost."""
    o = cast(Table, Outbox.__table__)
    q = (
        select(o.c.channel, o.c.state, func.count(), func.sum(o.c.cost))
        .where(o.c.campaign_id == campaign_id)
        .group_by(o.c.channel, o.c.state)
    )
    rows: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for ch, state, n, cost in conn.execute(q):
            r = rows.setdefault(ch, {"channel": ch, "states": {}, "total": 0, "cost": 0.0})
            r["states"][state] = int(n)
            r["total"] += int(n)
            r["cost"] += float(cost or 0.0)
    return sorted(rows.values(), key=lambda r: -r["total"])


def by_variant(
    engine: Engine, campaign_id: str, *, metric: str, window_s: int = 7 * DAY
) -> list[dict[str, Any]]:
    """Members per (step, arm, variant, channel) with successes, rate and its 95% interval."""
    ctes, params = outcome_ctes(campaign_id, metric=metric, window_s=window_s)
    sql = text(
        f"""
        {ctes}
        SELECT cm.step_id, cm.arm, cm.variant, cm.channel, count(*) AS n, count(h.uid) AS s
        FROM campaign_members cm
        LEFT JOIN hits h ON h.step_id = cm.step_id AND h.uid = cm.user_id
        WHERE cm.campaign_id = :c
        GROUP BY cm.step_id, cm.arm, cm.variant, cm.channel
        ORDER BY cm.step_id, cm.arm DESC, cm.variant
        """
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, params).all()
    out = []
    for r in rows:
        n, k = int(r.n), int(r.s or 0)
        lo, hi = wilson(k, n)
        out.append(
            {
                "step_id": r.step_id,
                "arm": r.arm,
                "variant": r.variant or "—",
                "channel": r.channel or "—",
                "n": n,
                "k": k,
                "rate": k / n if n else 0.0,
                "lo": lo,
                "hi": hi,
            }
        )
    return out


def daily_sends(engine: Engine, *, days: int = 14, now: float | None = None) -> dict[str, Any]:
    """Messages sent per day over the last ``days`` days, by source and by channel.

    ``{"days": [labels], "by_source": {"campaign"|"journey": [n]}, "by_channel": {...}}``.
    """
    o = cast(Table, Outbox.__table__)
    end = int((now or time.time()) // DAY) + 1
    start = end - days
    bucket = o.c.sent_ts // DAY
    q = (
        select(bucket, o.c.channel, o.c.campaign_id, func.count())
        .where(o.c.sent_ts.is_not(None), o.c.sent_ts >= start * DAY)
        .group_by(bucket, o.c.channel, o.c.campaign_id)
    )
    labels = [time.strftime("%m-%d", time.gmtime((start + i) * DAY)) for i in range(days)]
    source: dict[str, list[float]] = {"campaign": [0.0] * days, "journey": [0.0] * days}
    channel: dict[str, list[float]] = {}
    with engine.connect() as conn:
        for d, ch, cid, n in conn.execute(q):
            i = int(d) - start
            if not 0 <= i < days:
                continue
            kind = "journey" if str(cid).startswith("j-") else "campaign"
            source[kind][i] += int(n)
            channel.setdefault(ch, [0.0] * days)[i] += int(n)
    return {"days": labels, "by_source": source, "by_channel": channel}


def campaigns(engine: Engine, *, limit: int = 50) -> list[dict[str, Any]]:
    """Campaigns newest first with their message counts and cost."""
    t = cast(Table, Campaign.__table__)
    o = cast(Table, Outbox.__table__)
    sent = (
        select(o.c.campaign_id, func.count().label("n"), func.sum(o.c.cost).label("cost"))
        .where(o.c.state == "sent")
        .group_by(o.c.campaign_id)
        .subquery()
    )
    q = (
        select(t.c.id, t.c.name, t.c.status, t.c.objective, t.c.created_by, t.c.created_at,
               t.c.thread_id, t.c.budget, sent.c.n, sent.c.cost)
        .outerjoin(sent, sent.c.campaign_id == t.c.id)
        .order_by(t.c.created_at.desc())
        .limit(limit)
    )  # fmt: skip
    with engine.connect() as conn:
        return [
            {**dict(r._mapping), "n": int(r.n or 0), "cost": float(r.cost or 0.0)}
            for r in conn.execute(q)
        ]


def campaign_row(engine: Engine, campaign_id: str) -> dict[str, Any] | None:
    """One campaign row, or None."""
    t = cast(Table, Campaign.__table__)
    with engine.connect() as conn:
        r = conn.execute(select(t).where(t.c.id == campaign_id)).mappings().first()
    return dict(r) if r is not None else None


def simulated(engine: Engine) -> bool:
    """Whether the store's results are simulated (seeded, demo or eval store)."""
    return is_simulated(engine)

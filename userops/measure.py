"""Campaign measurement: KPI per arm from members and events, uplift with a confidence interval.

Arms are ``(step_id, arm)`` groups of ``campaign_members``. A member *succeeds* on a rate
metric when a matching event of the member's canonical user falls in
``[assigned_ts, assigned_ts + window_s)``: orders count for conversion whatever their
campaign (holdout users get no message, so their conversions can only be organic orders);
message events count only when they carry this campaign. The interval on a difference of
two proportions is Newcombe's hybrid score interval (method 10), built from Wilson intervals,
which behaves well at the small rates campaigns see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine, Table, text

Z95 = 1.959963984540054
SUCCESS_EVENTS: dict[str, tuple[str, ...]] = {
    "conversion_rate": ("order", "message_converted"),
    "click_rate": ("message_clicked", "message_converted"),
    "open_rate": ("message_opened", "message_clicked", "message_converted"),
    "reply_rate": ("message_replied",),
}


@dataclass(frozen=True)
class ArmStats:
    """Result of one arm."""

    step_id: str
    arm: str
    n: int
    successes: int

    @property
    def rate(self) -> float:
        """Share of members who succeeded (0 for an empty arm)."""
        return self.successes / self.n if self.n else 0.0


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Return the Wilson score interval of a proportion."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def diff_ci(a: ArmStats, b: ArmStats, z: float = Z95) -> tuple[float, float]:
    """Return Newcombe's 95% interval for ``rate(a) - rate(b)``."""
    p1, p2 = a.rate, b.rate
    l1, u1 = wilson(a.successes, a.n, z)
    l2, u2 = wilson(b.successes, b.n, z)
    d = p1 - p2
    lo = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (lo, hi)


def compare(treatment: ArmStats, holdout: ArmStats, metric: str) -> dict[str, Any]:
    """Return the KPI dict: metric, both rates, uplift and its 95% CI."""
    lo, hi = diff_ci(treatment, holdout)
    return {
        "metric": metric,
        "treatment": round(treatment.rate, 6),
        "holdout": round(holdout.rate, 6),
        "uplift": round(treatment.rate - holdout.rate, 6),
        "ci": [round(lo, 6), round(hi, 6)],
        "n_treatment": treatment.n,
        "n_holdout": holdout.n,
    }


def outcome_ctes(campaign_id: str, *, metric: str, window_s: int) -> tuple[str, dict[str, Any]]:
    """Return the ``WITH recs, hits`` clauses of a rate metric and their parameters.

    ``recs`` is every record of every member (merged identities followed) with its assignment
    time; ``hits`` the ``(step_id, uid)`` whose records had a success event in the window.
    """
    types = SUCCESS_EVENTS.get(metric, SUCCESS_EVENTS["conversion_rate"])
    names = ", ".join(f":t{i}" for i in range(len(types)))
    ctes = f"""WITH recs AS (
          SELECT cm.step_id, cm.user_id AS uid, cm.assigned_ts AS t0, cm.user_id AS rid
          FROM campaign_members cm WHERE cm.campaign_id = :c
          UNION ALL
          SELECT cm.step_id, cm.user_id, cm.assigned_ts, u.id
          FROM campaign_members cm JOIN users u ON u.merged_into = cm.user_id
          WHERE cm.campaign_id = :c
        ),
        hits AS (
          SELECT DISTINCT r.step_id, r.uid FROM recs r
          JOIN events e ON e.user_id = r.rid AND e.ts >= r.t0 AND e.ts < r.t0 + :w
          WHERE e.type IN ({names}) AND (e.type = 'order' OR e.campaign_id = :c)
        )"""
    params: dict[str, Any] = {"c": campaign_id, "w": window_s}
    params.update({f"t{i}": t for i, t in enumerate(types)})
    return ctes, params


def arm_stats(
    engine: Engine, campaign_id: str, *, metric: str = "conversion_rate", window_s: int = 7 * 86400
) -> dict[tuple[str, str], ArmStats]:
    """Return the stats of every ``(step_id, arm)`` of ``campaign_id`` for a rate metric."""
    ctes, params = outcome_ctes(campaign_id, metric=metric, window_s=window_s)
    sql = text(
        f"""
        {ctes}
        SELECT cm.step_id, cm.arm, count(*) AS n, count(h.uid) AS s
        FROM campaign_members cm
        LEFT JOIN hits h ON h.step_id = cm.step_id AND h.uid = cm.user_id
        WHERE cm.campaign_id = :c
        GROUP BY cm.step_id, cm.arm
        """
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, params).all()
    return {(r.step_id, r.arm): ArmStats(r.step_id, r.arm, int(r.n), int(r.s or 0)) for r in rows}


def measure_campaign(
    engine: Engine,
    campaign_id: str,
    *,
    step_id: str = "s1",
    metric: str = "conversion_rate",
    window_s: int = 7 * 86400,
    baseline_step: str | None = None,
) -> dict[str, Any]:
    """Measure one step against its holdout, and optionally a baseline arm on the same holdout.

    Returns:
        ``{"kpi": {...}, "baseline": {...} | None, "arms": [...]}`` where ``baseline``
        compares the ``treatment`` arm of ``baseline_step`` with the same holdout.
    """
    stats = arm_stats(engine, campaign_id, metric=metric, window_s=window_s)
    empty = ArmStats(step_id, "", 0, 0)
    holdout = stats.get((step_id, "holdout"), empty)
    treatment = stats.get((step_id, "treatment"), empty)
    result: dict[str, Any] = {
        "kpi": compare(treatment, holdout, metric),
        "baseline": None,
        "arms": [
            {"step_id": s.step_id, "arm": s.arm, "n": s.n, "successes": s.successes}
            for s in stats.values()
        ],
    }
    if baseline_step is not None:
        blast = stats.get((baseline_step, "treatment"), empty)
        result["baseline"] = compare(blast, holdout, metric)
    return result


_TAG_ORDER = (
    ("message_converted", "converted"),
    ("message_clicked", "clicked"),
    ("message_replied", "replied"),
    ("message_opened", "opened"),
    ("message_opted_out", "opted_out"),
    ("message_delivered", "delivered"),
)


def write_back(engine: Engine, campaign_id: str) -> dict[str, int]:
    """Write results back to profiles: response tags and last-contacted time (idempotent).

    Every treated member's user record gets ``attributes.responses[campaign_id]`` set to its
    strongest response (``converted`` ... ``delivered``, else ``no_response``); the trait row
    of every user sent a message gets ``last_contacted_ts`` moved forward to the send.

    Returns:
        Counts by tag.
    """
    with engine.connect() as conn:
        members = conn.execute(
            text(
                "SELECT DISTINCT cm.user_id FROM campaign_members cm "
                "WHERE cm.campaign_id = :c AND cm.arm <> 'holdout'"
            ),
            {"c": campaign_id},
        ).scalars()
        member_ids = set(members)
        seen: dict[int, set[str]] = {}
        for uid, etype in conn.execute(
            text(
                "SELECT coalesce(u.merged_into, u.id), e.type FROM events e "
                "JOIN users u ON u.id = e.user_id WHERE e.campaign_id = :c"
            ),
            {"c": campaign_id},
        ):
            seen.setdefault(int(uid), set()).add(str(etype))
        attrs = _attributes(conn, campaign_id)
    counts: dict[str, int] = {}
    updates: list[dict[str, Any]] = []
    for uid in sorted(member_ids):
        got = seen.get(uid, set())
        tag = next((name for etype, name in _TAG_ORDER if etype in got), "no_response")
        counts[tag] = counts.get(tag, 0) + 1
        a = attrs.get(uid)
        a = dict(a) if isinstance(a, dict) else {}
        responses = dict(a.get("responses") or {})
        responses[campaign_id] = tag
        a["responses"] = responses
        updates.append({"i": uid, "a": a})
    _apply(engine, campaign_id, updates)
    return counts


def _attributes(conn: Any, campaign_id: str) -> dict[int, Any]:
    from sqlalchemy import select

    from userops.store.models import CampaignMember, User

    u = cast(Table, User.__table__)
    cm = cast(Table, CampaignMember.__table__)
    treated = select(cm.c.user_id).where(cm.c.campaign_id == campaign_id, cm.c.arm != "holdout")
    rows = conn.execute(select(u.c.id, u.c.attributes).where(u.c.id.in_(treated)))
    return {int(r.id): r.attributes for r in rows}


def _apply(engine: Engine, campaign_id: str, updates: list[dict[str, Any]]) -> None:
    from sqlalchemy import bindparam, update

    from userops.store.models import User

    t = cast(Table, User.__table__)
    with engine.begin() as conn:
        if updates:
            conn.execute(
                update(t).where(t.c.id == bindparam("i")).values(attributes=bindparam("a")),
                updates,
            )
        conn.execute(
            text(
                "UPDATE traits SET last_contacted_ts = (SELECT max(o.sent_ts) FROM outbox o "
                "WHERE o.user_id = traits.user_id AND o.campaign_id = :c AND o.state = 'sent') "
                "WHERE user_id IN (SELECT o.user_id FROM outbox o WHERE o.campaign_id = :c "
                "AND o.state = 'sent') AND (last_contacted_ts IS NULL OR last_contacted_ts < "
                "(SELECT max(o.sent_ts) FROM outbox o WHERE o.user_id = traits.user_id "
                "AND o.campaign_id = :c AND o.state = 'sent'))"
            ),
            {"c": campaign_id},
        )

"""Journeys measured like campaigns: uplift against the holdout, per-arm results, a winner.

A split node assigns each member once, recorded in ``journey_steps_done`` (outcome
``holdout``, or ``arm`` with the arm's name as reason, and the time). A member *succeeds*
when their canonical user does the journey's goal event (an ``order`` when the journey has
no goal) in ``(assigned, assigned + window]``, whatever happens in the journey — holdout
members get no message, so theirs are organic. Rates, the uplift and its 95% interval are
those of campaigns (:func:`userops.measure.compare`, Newcombe's interval on Wilson ones).

**Significance rule.** An arm *wins* when every arm has at least ``min_per_arm`` members
and the 95% interval of its rate minus every other arm's rate lies above zero. A winner is
recorded once (audit ``journey.split_winner``); if the approved version allows it
(``auto_winner``), new members of the split then all take the winning arm (the holdout
keeps its share). Nothing else ever changes the traffic.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    and_,
    func,
    insert,
    select,
    union_all,
)

from userops.journeys.events import events, match_condition, users
from userops.journeys.nodes import EventMatch, SplitNode
from userops.journeys.send import VersionCtx
from userops.journeys.spec import JourneySpec
from userops.journeys.tables import steps_done
from userops.measure import ArmStats, compare, diff_ci
from userops.store.models import AuditLog, utcnow

WINDOW_S = 7 * 86400
"""Default window after assignment in which a success counts."""
audit = cast(Table, AuditLog.__table__)


def goal_condition(spec: JourneySpec) -> ColumnElement[bool]:
    """What counts as a success: the goal event, else an order."""
    return match_condition(spec.goal or EventMatch(event="order"))


def split_stats(
    conn: Connection, spec: JourneySpec, version_id: int, node_id: str, window_s: int
) -> dict[str, ArmStats]:
    """``{arm name or "holdout": stats}`` of one split node of one version."""
    s = steps_done
    base = and_(s.c.version_id == version_id, s.c.node_id == node_id)
    recs = union_all(
        select(s.c.id.label("sid"), s.c.user_id.label("rid"), s.c.ts.label("t0")).where(base),
        select(s.c.id, users.c.id, s.c.ts)
        .select_from(s.join(users, users.c.merged_into == s.c.user_id))
        .where(base),
    ).subquery()
    hits = (
        select(recs.c.sid)
        .select_from(
            recs.join(
                events,
                and_(
                    events.c.user_id == recs.c.rid,
                    events.c.ts > recs.c.t0,
                    events.c.ts <= recs.c.t0 + window_s,
                ),
            )
        )
        .where(goal_condition(spec))
        .distinct()
        .subquery()
    )
    q = (
        select(s.c.outcome, s.c.reason, func.count(), func.count(hits.c.sid))
        .select_from(s.outerjoin(hits, hits.c.sid == s.c.id))
        .where(base, s.c.outcome.in_(("arm", "holdout")))
        .group_by(s.c.outcome, s.c.reason)
    )
    out: dict[str, ArmStats] = {}
    for outcome, reason, n, k in conn.execute(q):
        name = "holdout" if outcome == "holdout" else str(reason)
        out[name] = ArmStats(node_id, name, int(n), int(k or 0))
    return out


def winner(node: SplitNode, stats: dict[str, ArmStats]) -> str | None:
    """The arm the significance rule names (see the module docstring), else None."""
    arms = [stats.get(a.name, ArmStats(node.id, a.name, 0, 0)) for a in node.arms]
    if len(arms) < 2 or any(a.n < node.min_per_arm for a in arms):
        return None
    best = max(arms, key=lambda a: a.rate)
    if all(diff_ci(best, b)[0] > 0 for b in arms if b is not best):
        return best.arm
    return None


def recorded_winners(conn: Connection, journey_id: str) -> dict[tuple[int, str], str]:
    """``(version, node) -> arm`` of the winners recorded for ``journey_id``."""
    rows = conn.execute(
        select(audit.c.detail).where(
            audit.c.entity_type == "journey",
            audit.c.entity_id == journey_id,
            audit.c.action == "journey.split_winner",
        )
    ).scalars()
    out: dict[tuple[int, str], str] = {}
    for d in rows:
        if isinstance(d, dict):
            out.setdefault((int(d["version"]), str(d["node"])), str(d["arm"]))
    return out


def measure_version(
    conn: Connection,
    spec: JourneySpec,
    version_id: int,
    journey_id: str,
    version: int,
    *,
    window_s: int = WINDOW_S,
) -> dict[str, Any]:
    """The measurement of one version: per split, its arms, uplift and winner."""
    metric = f"goal:{spec.goal.event}" if spec.goal else "order"
    chosen = recorded_winners(conn, journey_id)
    splits: dict[str, Any] = {}
    overall: dict[str, Any] | None = None
    for node in spec.nodes:
        if not isinstance(node, SplitNode):
            continue
        stats = split_stats(conn, spec, version_id, node.id, window_s)
        held = stats.get("holdout", ArmStats(node.id, "holdout", 0, 0))
        arms = [stats.get(a.name, ArmStats(node.id, a.name, 0, 0)) for a in node.arms]
        pooled = ArmStats(
            node.id, "treatment", sum(a.n for a in arms), sum(a.successes for a in arms)
        )
        item: dict[str, Any] = {
            "holdout": {"n": held.n, "successes": held.successes, "rate": round(held.rate, 6)},
            "arms": [
                {
                    "arm": a.arm, "n": a.n, "successes": a.successes, "rate": round(a.rate, 6),
                    "vs_holdout": compare(a, held, metric) if node.holdout else None,
                }
                for a in arms
            ],
            "uplift": compare(pooled, held, metric) if node.holdout else None,
            "winner": chosen.get((version, node.id)) or winner(node, stats),
            "winner_recorded": (version, node.id) in chosen,
            "auto_winner": node.auto_winner,
            "min_per_arm": node.min_per_arm,
        }  # fmt: skip
        splits[node.id] = item
        if overall is None and node.holdout:
            overall = item["uplift"]
    return {
        "metric": metric,
        "window_days": round(window_s / 86400, 2),
        "uplift": overall,
        "splits": splits,
    }


def check_winners(engine: Engine, versions: list[VersionCtx]) -> dict[tuple[int, str], str]:
    """Apply the significance rule to the auto-winner splits of ``versions``; record new winners.

    Returns ``(version id, node) -> arm`` of every recorded winner of those splits.
    """
    out: dict[tuple[int, str], str] = {}
    for vc in versions:
        splits = [n for n in vc.spec.nodes if isinstance(n, SplitNode) and n.auto_winner]
        if not splits:
            continue
        with engine.begin() as conn:
            chosen = recorded_winners(conn, vc.journey_id)
            for node in splits:
                got = chosen.get((vc.version, node.id))
                if got is None:
                    stats = split_stats(conn, vc.spec, vc.version_id, node.id, WINDOW_S)
                    got = winner(node, stats)
                    if got is not None:
                        detail = {"version": vc.version, "node": node.id, "arm": got}
                        detail["arms"] = {k: [v.n, v.successes] for k, v in stats.items()}
                        conn.execute(
                            insert(audit).values(
                                at=utcnow(), actor="engine", action="journey.split_winner",
                                entity_type="journey", entity_id=vc.journey_id, detail=detail,
                            )
                        )  # fmt: skip
                if got is not None:
                    out[(vc.version_id, node.id)] = got
    return out

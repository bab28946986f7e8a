"""The forecast's entries (trigger and re-entry rule over the window) and its findings.

Findings are ``{"code": ..., values}``; :func:`finding_text` words them from the message
catalog (``journey.forecast.<code>`` in ``prompts/messages/{zh,en}.yaml``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection, Engine, select

from prompts.catalog import say
from userops.cdp.segments.service import segment_user_ids
from userops.dispatch.policy import Policy
from userops.journeys.anniversary import _dates
from userops.journeys.backtest import I64
from userops.journeys.events import canonical, events, lifecycle_condition, match_condition, users
from userops.journeys.nodes import BranchNode
from userops.journeys.spec import (
    AnniversaryTrigger,
    EventTrigger,
    JourneySpec,
    LifecycleTrigger,
    SegmentTrigger,
)
from userops.journeys.timing import anniversaries, local_day, parse_month_day

if TYPE_CHECKING:
    from userops.journeys.forecast import JourneyForecast


def entries_of(
    conn: Connection, engine: Engine, spec: JourneySpec, lo: int, hi: int
) -> tuple[I64, I64, list[dict[str, Any]]]:
    """``(users, entry ts, notes)`` of the backtest's entries in ``(lo, hi]``, by time."""
    trig = spec.trigger
    notes: list[dict[str, Any]] = []
    cands: list[tuple[int, int]] = []
    if isinstance(trig, EventTrigger | LifecycleTrigger):
        cond = (
            lifecycle_condition(trig)
            if isinstance(trig, LifecycleTrigger)
            else match_condition(trig.match())
        )
        q = (
            select(canonical(), events.c.ts)
            .select_from(events.join(users, users.c.id == events.c.user_id))
            .where(events.c.ts > lo, events.c.ts <= hi, cond)
        )
        cands = [tuple(r) for r in conn.execute(q)]  # plain tuples for numpy
    elif isinstance(trig, AnniversaryTrigger):
        for uid, (tz, value) in _dates(conn, trig.date).items():
            if trig.date == "signup":
                day = local_day(int(value), tz)
                md: tuple[int, int, int | None] | None = (day.month, day.day, day.year)
            else:
                md = parse_month_day(value)
            if md is None:
                continue
            after = md[2] if trig.date == "signup" else None
            cands += [
                (uid, ts) for _, ts in anniversaries(lo, hi, tz, md[0], md[1], trig.at, after)
            ]
    elif isinstance(trig, SegmentTrigger):
        ids = segment_user_ids(engine, trig.segment, as_of_ts=hi)
        cands = [(int(u), lo + 1) for u in ids]
        notes.append({"code": "segment_history", "n": len(cands)})
    if not cands:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), notes
    arr = np.array(cands, dtype=np.int64)
    u, t = _reentry(spec, arr[:, 0], arr[:, 1])
    order = np.argsort(t, kind="stable")
    return u[order], t[order], notes


def _reentry(spec: JourneySpec, u: I64, t: I64) -> tuple[I64, I64]:
    """The candidates the re-entry rule lets in (one entry per user per gap)."""
    order = np.lexsort((t, u))
    u, t = u[order], t[order]
    first = np.ones(u.size, dtype=bool)
    first[1:] = u[1:] != u[:-1]
    rule = spec.reentry
    if rule.policy == "never" or u.size == 0:
        return u[first], t[first]
    gap = int(rule.days or 0) * 86400
    keep = first.copy()
    last_u, last_t = -1, 0
    for i, (uid, ts) in enumerate(zip(u.tolist(), t.tolist(), strict=True)):
        if uid != last_u or ts >= last_t + gap:
            keep[i] = True
            last_u, last_t = uid, ts
    return u[keep], t[keep]


def findings_of(
    spec: JourneySpec, fc: JourneyForecast, policy: Policy, *, looped: int
) -> list[dict[str, Any]]:
    """What the approver should know about this forecast."""
    out: list[dict[str, Any]] = []
    if fc.entries == 0:
        out.append({"code": "no_entries", "days": fc.days})
    if any(isinstance(n, BranchNode) for n in spec.nodes):
        out.append({"code": "branch_traits_now"})
    col = fc.collisions
    if col.frequency_cap:
        out.append({"code": "frequency_cap", "n": col.frequency_cap, "messages": fc.messages})
    if col.quiet_hours:
        out.append({"code": "quiet_hours", "n": col.quiet_hours})
    if col.other_journeys:
        out.append({"code": "other_journeys", "n": col.other_journeys})
    week = [r.max for r in policy.frequency_caps.global_ if r.window_s == 7 * 86400]
    if week and fc.max_messages_user_7d > min(week):
        out.append({"code": "weekly_cap", "n": fc.max_messages_user_7d, "cap": min(week)})
    if looped:
        out.append({"code": "looped", "n": looped})
    return out


def finding_text(f: dict[str, Any], lang: str | None) -> str:
    """One finding worded in ``lang``."""
    values = {k: v for k, v in f.items() if k != "code"}
    return say(f"journey.forecast.{f['code']}", lang, **values)

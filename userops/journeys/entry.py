"""Entries, goal exits and wait-for-event wakes: set-based passes over what changed.

Each version keeps a cursor over ``events.id``. One *event pass* takes the events after it
(at most ``EVENT_BATCH``), moving the cursor first with a compare-and-set so that two
workers never consume the same events, and in the same transaction:

* enters the users whose event matches the trigger (event or lifecycle change);
* ends, as a conversion (``goal``), every active member whose user did the goal event
  after entering;
* wakes members at a ``wait_for_event`` node whose user did the event after arriving
  there and before the timeout (they are due at once and take the ``happened`` branch).

On PostgreSQL, ids are assigned before commit, so an event may become visible after a
newer one was consumed: each pass also reads back ``RESCAN`` ids below the cursor; an
entry is keyed by its event (``e:<event id>``) and a wake or an exit applies once, so a
re-read changes nothing twice. A segment trigger compares the segment with its previous
check (:func:`segment_pass`); an anniversary trigger scans the users' dates now and then
(:mod:`userops.journeys.anniversary`). The re-entry rule and "never twice at once" hold
across versions of a journey.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, Engine, TextClause, text

from userops.cdp.segments.service import segment_user_ids
from userops.dispatch.sql import fetch, in_list, is_pg, list_param, many
from userops.errors import UsageError
from userops.journeys.events import (
    lifecycle_condition,
    match_condition,
    matching,
    max_event_id,
)
from userops.journeys.hops import due_at, zones
from userops.journeys.nodes import WaitForEventNode
from userops.journeys.send import VersionCtx
from userops.journeys.spec import EventTrigger, LifecycleTrigger, SegmentTrigger

EVENT_BATCH = 10_000
"""Events one pass consumes at most (one transaction)."""
RESCAN = 1000
"""Ids below the cursor a PostgreSQL pass reads again (events committed late)."""
CAS_EVENTS = text(
    "UPDATE journey_versions SET event_cursor = :hi WHERE id = :v AND event_cursor = :lo"
)
CAS_SCAN = text("UPDATE journey_versions SET scan_ts = :hi WHERE id = :v AND scan_ts = :lo")
_HISTORY = (
    "SELECT user_id, max(entry_no), max(entered_ts),"
    " sum(CASE WHEN state = 'active' THEN 1 ELSE 0 END) FROM journey_members"
    " WHERE journey_id = ? AND {ids} GROUP BY user_id"
)
_INSERT = (
    "INSERT INTO journey_members (version_id, journey_id, user_id, entry_no, entry_key,"
    " node_id, visit, state, due_ts, entered_ts, since_ts, entry_event, node_event, sends,"
    " attrs) VALUES (?, ?, ?, ?, ?, ?, 0, 'active', ?, ?, ?, ?, ?, 0, {json})"
    " ON CONFLICT DO NOTHING"
)


def enter(conn: Connection, vc: VersionCtx, cands: list[tuple[int, str]], now: int) -> int:
    """Let ``(user, entry key)`` candidates enter (one per user, by the re-entry rule)."""
    first: dict[int, str] = {}
    for uid, key in cands:
        first.setdefault(uid, key)
    if not first:
        return 0
    ids = sorted(first)
    stmt = _HISTORY.format(ids=in_list(conn, "user_id"))
    history = {int(r[0]): r for r in fetch(conn, stmt, [vc.journey_id, list_param(conn, ids)])}
    rule = vc.spec.reentry
    start = vc.spec.nodes[0]
    tzs = zones(conn, ids) if start.kind == "wait" else {}
    newest = max_event_id(conn)
    attrs = json.dumps({"v": {start.id: 0}}) if vc.loops else None  # visits, for a loop
    rows = []
    for uid in ids:
        h = history.get(uid)
        if h is not None:
            if int(h[3] or 0) > 0 or rule.policy == "never":
                continue
            if int(h[2]) > now - int(rule.days or 0) * 86400:
                continue
        entry_no = int(h[1]) + 1 if h is not None else 1
        due = due_at(start, now, tzs.get(uid, ""))
        rows.append(
            (vc.version_id, vc.journey_id, uid, entry_no, first[uid][:64], start.id, due,
             now, now, newest, newest, attrs)
        )  # fmt: skip
    many(conn, _INSERT.format(json="CAST(? AS JSON)" if is_pg(conn) else "?"), rows)
    return len(rows)


def cas(conn: Connection, stmt: TextClause, vid: int, lo: int, hi: int) -> bool:
    """Move a version's cursor from ``lo`` to ``hi``; False when another worker moved it."""
    res = conn.execute(stmt, {"v": vid, "lo": lo, "hi": hi})
    return bool(res.rowcount == 1)


def _lock_free(conn: Connection, vid: int, lo: int) -> bool:
    """Lock the version row unless another worker holds it (PostgreSQL, SKIP LOCKED)."""
    got = conn.execute(
        text("SELECT event_cursor FROM journey_versions WHERE id = :v FOR UPDATE SKIP LOCKED"),
        {"v": vid},
    ).first()
    return got is not None and int(got[0]) == lo


def event_pass(engine: Engine, vc: VersionCtx, *, entries: bool, now: int) -> int:
    """Consume the version's next events; return how many were consumed."""
    with engine.connect() as conn:
        lo, floor = conn.execute(
            text("SELECT event_cursor, first_event FROM journey_versions WHERE id = :v"),
            {"v": vc.version_id},
        ).one()
        lo, floor = int(lo), int(floor)
        hi = min(max_event_id(conn), lo + EVENT_BATCH)
    if hi <= lo:
        return 0
    with engine.begin() as conn:
        if is_pg(conn) and not _lock_free(conn, vc.version_id, lo):
            return 0  # another worker is consuming this version's events: no waiting on it
        if not cas(conn, CAS_EVENTS, vc.version_id, lo, hi):
            return 0  # another worker took these events
        from_id = max(floor, lo - RESCAN) if is_pg(conn) else lo
        trig = vc.spec.trigger
        if entries and isinstance(trig, EventTrigger | LifecycleTrigger):
            cond = (
                lifecycle_condition(trig, by_range=True)
                if isinstance(trig, LifecycleTrigger)
                else match_condition(trig.match(), by_range=True)
            )
            found = matching(conn, cond, from_id, hi)
            enter(conn, vc, [(u, f"e:{e}") for e, u, _ in found], now)
        if vc.spec.goal is not None:
            goal = match_condition(vc.spec.goal, by_range=True)
            _goal_exits(conn, vc, matching(conn, goal, from_id, hi), now)
        for node in vc.spec.nodes:
            if isinstance(node, WaitForEventNode):
                found = matching(conn, match_condition(node.event, by_range=True), from_id, hi)
                _wake(conn, vc, node.id, found, now)
    return hi - lo


def _latest(found: list[tuple[int, int, int]]) -> dict[int, tuple[int, int]]:
    out: dict[int, tuple[int, int]] = {}
    for eid, uid, ts in found:
        out[uid] = (eid, ts)  # ordered by id: the newest wins
    return out


def _goal_exits(
    conn: Connection, vc: VersionCtx, found: list[tuple[int, int, int]], now: int
) -> None:
    stmt = (
        "UPDATE journey_members SET state = 'exited', exit_reason = 'goal', exited_ts = ?,"
        " lease_owner = NULL, lease_until_ts = NULL WHERE journey_id = ? AND user_id = ?"
        " AND version_id = ? AND state = 'active' AND entry_event < ?"
    )
    rows = [(now, vc.journey_id, u, vc.version_id, e) for u, (e, _) in _latest(found).items()]
    many(conn, stmt, rows)


def _wake(
    conn: Connection, vc: VersionCtx, node_id: str, found: list[tuple[int, int, int]], now: int
) -> None:
    stmt = (
        "UPDATE journey_members SET woke_event = ?, due_ts = ? WHERE journey_id = ?"
        " AND user_id = ? AND version_id = ? AND node_id = ? AND state = 'active'"
        " AND woke_event IS NULL AND node_event < ? AND due_ts >= ?"
    )
    rows = [
        (e, now, vc.journey_id, u, vc.version_id, node_id, e, ts)
        for u, (e, ts) in _latest(found).items()
    ]
    many(conn, stmt, rows)


def segment_pass(engine: Engine, vc: VersionCtx, *, entries: bool, now: int) -> int:
    """Check a segment trigger when due; return how many users entered."""
    trig = vc.spec.trigger
    if not isinstance(trig, SegmentTrigger):
        raise UsageError(f"segment_pass needs a segment trigger, not {trig.kind!r}")
    with engine.connect() as conn:
        lo = int(
            conn.execute(
                text("SELECT scan_ts FROM journey_versions WHERE id = :v"), {"v": vc.version_id}
            ).scalar_one()
        )
    if lo and now < lo + trig.every_minutes * 60:
        return 0
    inside = set(segment_user_ids(engine, trig.segment, as_of_ts=now))
    with engine.begin() as conn:
        if not cas(conn, CAS_SCAN, vc.version_id, lo, now):
            return 0
        seen = {
            int(u)
            for u in conn.execute(
                text("SELECT user_id FROM journey_segment_seen WHERE version_id = :v"),
                {"v": vc.version_id},
            ).scalars()
        }
        new, gone = sorted(inside - seen), sorted(seen - inside)
        many(conn, "DELETE FROM journey_segment_seen WHERE version_id = ? AND user_id = ?",
             [(vc.version_id, u) for u in gone])  # fmt: skip
        many(conn, "INSERT INTO journey_segment_seen (version_id, user_id) VALUES (?, ?)",
             [(vc.version_id, u) for u in new])  # fmt: skip
        if not entries or (lo == 0 and not trig.include_existing):
            return 0
        return enter(conn, vc, [(u, f"s:{u}:{now}") for u in new], now)

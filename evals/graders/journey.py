"""Graders of journey scenarios: they read the store after :func:`evals.journey_run.play`.

* ``journey_proposed`` — the goal became a version awaiting approval;
* ``journey_spec`` — the trigger, the waits and the goal event the scenario expects;
* ``journey_entries`` — exactly the entrants entered; nobody who acted before the approval;
* ``approval_before_send`` (must pass) — no message of the journey before its approval;
* ``journey_waits`` — nobody got a message sooner than the first wait after their trigger
  (anniversaries: before the local time of day on their day);
* ``journey_goal_exit`` — converters left on the goal event and got nothing after it;
* ``consent`` and ``quiet_hours`` (must pass) — the campaign graders on the journey's rows;
* ``journey_sends`` — messages went out, on the expected channels.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from evals.graders import Check
from evals.graders.facts import Facts, _read_users, _rows
from evals.graders.policy import check_consent, check_quiet_hours
from evals.journey_run import Played
from evals.journey_schema import JourneyExpect
from userops.dispatch.policy import Policy
from userops.journeys.events import resolve_event
from userops.journeys.nodes import SendNode, WaitForEventNode, WaitNode


def journey_facts(engine: Engine, journey_id: str) -> tuple[Facts, list[dict[str, Any]]]:
    """The journey's outbox and deliveries as campaign facts, and its member rows."""
    with engine.connect() as conn:
        ids = [
            f"j-{journey_id}-v{int(r[0])}"
            for r in conn.execute(
                text("SELECT version FROM journey_versions WHERE journey_id = :j"),
                {"j": journey_id},
            )
        ]
        outbox = _rows(
            conn,
            "SELECT id, campaign_id, step_id, user_id, channel, marketing, state, reason,"
            " sent_ts, created_ts, cost FROM outbox WHERE campaign_id IN ({ids})",
            ids,
        )
        members = [
            dict(r._mapping)
            for r in conn.execute(
                text(
                    "SELECT user_id, state, exit_reason, exited_ts, entered_ts"
                    " FROM journey_members WHERE journey_id = :j"
                ),
                {"j": journey_id},
            )
        ]
        facts = Facts(ids, outbox, [], [], [])
        _read_users(conn, facts, sorted({int(r["user_id"]) for r in outbox}))
    return facts, members


def _check(name: str, bad: list[Any], why: str, **kw: Any) -> Check:
    return Check(name, not bad, why if bad else "", count=len(bad), detail={"rows": bad[:5]}, **kw)


def _spec(played: Played, exp: JourneyExpect) -> Check:
    spec = played.spec
    if spec is None:
        return Check("journey_spec", False, "no spec")
    trig = spec.trigger.model_dump(mode="json", by_alias=True)
    bad: list[Any] = [(k, trig.get(k), v) for k, v in exp.trigger.items() if trig.get(k) != v]
    held = [n.duration.seconds() for n in spec.nodes if isinstance(n, WaitNode) and n.duration]
    held += [n.timeout.seconds() for n in spec.nodes if isinstance(n, WaitForEventNode)]
    bad += [("wait_hours", h) for h in exp.waits_hours if int(h * 3600) not in held]
    got_goal = spec.goal.event if spec.goal else None
    if exp.goal_event != got_goal and not (
        exp.goal_event and got_goal and resolve_event(exp.goal_event) == resolve_event(got_goal)
    ):
        bad.append(("goal", got_goal, exp.goal_event))
    return _check("journey_spec", bad, "the spec differs from the goal")


def _entries(played: Played, members: list[dict[str, Any]]) -> Check:
    entered = {int(m["user_id"]) for m in members}
    missing = sorted(set(played.entrants) - entered)
    extra = sorted(entered - set(played.entrants))
    bad = [("missing", u) for u in missing] + [("unexpected", u) for u in extra]
    return _check("journey_entries", bad, f"{len(missing)} missing, {len(extra)} unexpected")


def _before_approval(played: Played, facts: Facts) -> Check:
    bad = [
        r["id"]
        for r in facts.outbox
        if int(r["created_ts"] or 0) < played.approved_ts or int(r["user_id"]) in played.early
    ]
    return _check("approval_before_send", bad, "messages before the approval", must_pass=True)


def _local(ts: int, tz: str | None) -> datetime:
    return datetime.fromtimestamp(ts, ZoneInfo(tz or "Asia/Shanghai"))


def _waits(played: Played, facts: Facts, exp: JourneyExpect) -> Check:
    first: dict[int, int] = {}
    sends = [n.id for n in (played.spec.nodes if played.spec else []) if isinstance(n, SendNode)]
    lead = f"{sends[0]}#" if sends else "\x00"
    timed: dict[int, int] = {}  # messages of the first send node (the one after a local time)
    for r in facts.outbox:
        u, ts = int(r["user_id"]), int(r["created_ts"] or 0)
        first[u] = min(first.get(u, ts), ts)
        if str(r["step_id"]).startswith(lead):
            timed[u] = min(timed.get(u, ts), ts)
    bad: list[Any] = []
    for u, ts in first.items():
        start = played.entrants.get(u)
        if start is None:
            continue
        if ts < start + int(exp.first_send_after_hours * 3600):
            bad.append((u, start, ts))
    for u, ts in timed.items() if exp.at_local else ():
        local = _local(ts, (facts.users.get(u) or {}).get("timezone"))
        if local.time() < time.fromisoformat(str(exp.at_local)):  # in the user's own zone
            bad.append((u, "before", exp.at_local, local.isoformat()))
    return _check("journey_waits", bad, "messages sooner than the journey's waits")


def _goal_exit(played: Played, facts: Facts, members: list[dict[str, Any]]) -> Check:
    by_user = {int(m["user_id"]): m for m in members}
    bad: list[Any] = []
    for u in played.converters:
        m = by_user.get(u)
        if m is None or m["state"] == "active" or m["exit_reason"] not in ("goal", "converted"):
            bad.append((u, None if m is None else (m["state"], m["exit_reason"])))
    late = [
        r["id"]
        for r in facts.outbox
        if int(r["user_id"]) in played.converters
        and int(r["created_ts"] or 0) > played.converters[int(r["user_id"])]
    ]
    return _check("journey_goal_exit", bad + late, "converters not ended by the goal event")


def _sends(facts: Facts, exp: JourneyExpect) -> Check:
    bad: list[Any] = [
        r["id"] for r in facts.sent if exp.channels and r["channel"] not in exp.channels
    ]
    if len(facts.sent) < exp.min_sent:
        bad.append(("sent", len(facts.sent), exp.min_sent))
    return _check("journey_sends", bad, f"{len(facts.sent)} sent; expected channels and count")


def grade_journey(
    engine: Engine, played: Played, exp: JourneyExpect, policy: Policy
) -> tuple[list[Check], Facts]:
    """Every journey check (see the module docstring)."""
    status = str(played.proposal.get("status"))
    proposed = Check("journey_proposed", status == "awaiting_approval", status)
    if not proposed.passed or not played.proposal.get("journey_id"):
        return [proposed], Facts([], [], [], [], [])
    facts, members = journey_facts(engine, str(played.proposal["journey_id"]))
    checks = [proposed, _spec(played, exp), _entries(played, members)]
    checks += [_before_approval(played, facts), _waits(played, facts, exp)]
    if exp.goal_event:
        checks.append(_goal_exit(played, facts, members))
    checks.append(check_consent(facts))
    if policy.quiet_hours is not None:
        qh = policy.quiet_hours
        checks.append(check_quiet_hours(facts, qh.start, qh.end))
    checks.append(_sends(facts, exp))
    return checks, facts

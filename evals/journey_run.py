"""Run a journey scenario: propose → events before approval → approve → events → worker.

Everything runs on an injected clock (:class:`Clock`): the proposal, the approval, the
events (inserted when their time comes, as ingestion would store them) and the worker
(:class:`~userops.dispatch.worker.Worker` with the journeys' tick), stepped every
``step_minutes`` for ``run_hours``. What happened is left in the store for the graders
(:mod:`evals.graders.journey`); :class:`Played` says who was meant to do what.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from evals.journey_schema import JourneyRun
from userops.dispatch.policy import Policy
from userops.journeys.events import resolve_event
from userops.journeys.spec import JourneySpec

OPERATOR = "eval-operator"
APPROVER = "eval-approver"


@dataclass
class Clock:
    """The scenario's clock: the worker and the runner read it, the driver moves it."""

    now: int

    def __call__(self) -> float:
        """Seconds since the epoch."""
        return float(self.now)


@dataclass
class Played:
    """Who was meant to do what, and when (epoch seconds)."""

    proposal: dict[str, Any]
    approved_ts: int = 0
    early: dict[int, int] = field(default_factory=dict)
    """Users who did the trigger before the approval → when."""
    entrants: dict[int, int] = field(default_factory=dict)
    """Users who did the trigger after the approval → when (anniversary: the day's start)."""
    converters: dict[int, int] = field(default_factory=dict)
    """Entrants who did the goal event → when."""
    spec: JourneySpec | None = None


def _users(engine: Engine, n: int) -> list[int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id FROM users WHERE merged_into IS NULL ORDER BY id LIMIT :n"), {"n": n}
        )
        return [int(r[0]) for r in rows]


def _event(engine: Engine, user: int, ts: int, name: str, **props: Any) -> None:
    etype, custom = resolve_event(name)
    body = {**props, **({"event": custom} if custom else {})}
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO events (user_id, type, ts, properties) VALUES (:u, :t, :ts, :p)"),
            {"u": user, "t": etype, "ts": ts, "p": json.dumps(body)},
        )


def _trigger(engine: Engine, spec: JourneySpec, user: int, ts: int, run: JourneyRun) -> None:
    """Make ``user`` do the journey's trigger at ``ts``."""
    trig = spec.trigger
    if trig.kind == "event":
        _event(engine, user, ts, trig.event)
    elif trig.kind == "lifecycle":
        _event(
            engine, user, ts, "lifecycle_stage_changed", to=trig.to[0], **{"from": run.from_stage}
        )
    elif trig.kind == "anniversary":
        _birthday(engine, user, ts)


def _birthday(engine: Engine, user: int, ts: int) -> int:
    """Give ``user`` a birthday on the local day of ``ts`` (in 1990).

    Returns the local midnight of that day.
    """
    with engine.begin() as conn:
        row = conn.execute(
            text("SELECT timezone, attributes FROM users WHERE id = :u"), {"u": user}
        ).one()
        day = datetime.fromtimestamp(ts, ZoneInfo(row[0] or "Asia/Shanghai")).date()
        attrs = row[1] if isinstance(row[1], dict) else json.loads(row[1] or "{}")
        traits = dict(attrs.get("traits") or {})
        traits["birthday"] = f"1990-{day.month:02d}-{day.day:02d}"
        attrs["traits"] = traits
        conn.execute(
            text("UPDATE users SET attributes = :a WHERE id = :u"),
            {"a": json.dumps(attrs), "u": user},
        )
    midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(row[0] or "Asia/Shanghai"))
    return int(midnight.timestamp())


def _start(engine: Engine, run: JourneyRun) -> int:
    """The scenario's first instant: ``run.start``, else the hour after the newest row."""
    if run.start:
        return int(datetime.fromisoformat(run.start).timestamp())
    with engine.connect() as conn:
        newest = conn.execute(
            text("SELECT MAX(ts) FROM (SELECT ts FROM events UNION ALL SELECT ts FROM consents) t")
        ).scalar()
    return (int(newest or 0) // 3600 + 2) * 3600


def play(engine: Engine, goal: str, run: JourneyRun, policy: Policy, settings: Any) -> Played:
    """Play the scenario (see the module docstring)."""
    from agents.planning.journey.wiring import propose
    from userops.dispatch.worker import Worker
    from userops.journeys.records import approve
    from userops.journeys.runner import JourneyRunner

    clock = Clock(_start(engine, run))
    res = propose(engine, goal, actor=OPERATOR, settings=settings, policy=policy, now_ts=clock.now)
    played = Played(proposal=res)
    if res["status"] != "awaiting_approval":
        return played
    spec = JourneySpec.model_validate(res["spec"])
    played.spec = spec
    people = _users(engine, run.early + run.entrants)
    early, entrants = people[: run.early], people[run.early :]
    journeys = JourneyRunner(engine, policy=policy, clock=clock)
    worker = Worker(engine, None, policy=policy, clock=clock, tick=journeys.tick)
    if spec.trigger.kind == "anniversary":  # birthdays yesterday: never an entry
        for u in early:
            _birthday(engine, u, clock.now - 86400)
            played.early[u] = clock.now - 86400
    else:
        for k, u in enumerate(early):
            played.early[u] = clock.now + 60 + k
            _trigger(engine, spec, u, played.early[u], run)
    clock.now += 1800
    worker.run()  # the worker runs before the approval: nothing may go out
    clock.now += 1800
    approve(engine, res["journey_id"], actor=APPROVER, now_ts=clock.now)
    played.approved_ts = clock.now
    _after_approval(engine, spec, run, clock, worker, played, entrants)
    return played


def _after_approval(
    engine: Engine,
    spec: JourneySpec,
    run: JourneyRun,
    clock: Clock,
    worker: Any,
    played: Played,
    entrants: list[int],
) -> None:
    start = clock.now
    pending: list[tuple[int, int, str]] = []  # (ts, user, what)
    for k, u in enumerate(entrants):
        ts = start + 120 + k
        played.entrants[u] = ts
        if spec.trigger.kind == "anniversary":  # tomorrow: today's time may have passed
            played.entrants[u] = _birthday(engine, u, start + 86400)
        else:
            pending.append((ts, u, "trigger"))
        if k < run.converters and spec.goal is not None:
            played.converters[u] = ts + int(run.convert_after_hours * 3600)
            pending.append((played.converters[u], u, "goal"))
    pending.sort()
    end = start + int(run.run_hours * 3600)
    while clock.now <= end:
        while pending and pending[0][0] <= clock.now:
            ts, u, what = pending.pop(0)
            if what == "trigger":
                _trigger(engine, spec, u, ts, run)
            elif spec.goal is not None:
                _event(engine, u, ts, spec.goal.event)
        worker.run()
        clock.now += run.step_minutes * 60

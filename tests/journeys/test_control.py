"""Pause, resume and stop are audited and hold, release or end what the journey does."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.dispatch.factory import add_users
from tests.journeys.support import T0, Clock, add_event, live, members, rows, runner, spec
from userops.errors import Conflict
from userops.journeys.control import FAR, HELD, set_state

DAY = 86400


def _states(engine: Engine) -> list[tuple[int, str, str | None]]:
    got = rows(engine, "SELECT user_id, state, reason FROM outbox ORDER BY user_id, id")
    return [(int(r[0]), r[1], r[2]) for r in got]


def test_pause_resume_stop(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 4, consent=("sms",))
    jid = live(sqlite_engine, spec())
    add_event(sqlite_engine, 1, T0 + 1)
    clock = Clock(T0 + 10)
    runner(sqlite_engine, clock).run_until_idle()
    assert _states(sqlite_engine) == [(1, "pending", None)]

    got = set_state(sqlite_engine, jid, "pause", actor="ops", now_ts=clock.now)
    assert got["held"] == 1
    assert rows(sqlite_engine, "SELECT not_before_ts FROM outbox") == [(FAR,)]
    add_event(sqlite_engine, 2, clock.now + 1)  # during the pause: never enters
    clock.now = T0 + 2 * DAY  # user 1's wait is over, but nothing moves while paused
    assert runner(sqlite_engine, clock).run_until_idle() >= 1  # the event is consumed
    assert members(sqlite_engine) == {1: ("wait1", "active", None)}
    assert _states(sqlite_engine) == [(1, "deferred", HELD)]
    with pytest.raises(Conflict, match="is paused; cannot pause"):
        set_state(sqlite_engine, jid, "pause", actor="ops")

    got = set_state(sqlite_engine, jid, "resume", actor="boss", now_ts=clock.now)
    assert got["released"] == 1
    assert rows(sqlite_engine, "SELECT not_before_ts, reason FROM outbox") == [(clock.now, None)]
    runner(sqlite_engine, clock).run_until_idle()
    assert members(sqlite_engine) == {1: ("order", "active", None)}
    add_event(sqlite_engine, 3, clock.now + 1)
    clock.now += 10
    runner(sqlite_engine, clock).run_until_idle()
    assert set(members(sqlite_engine)) == {1, 3}

    got = set_state(sqlite_engine, jid, "stop", actor="ops", now_ts=clock.now)
    assert got["exited"] == 2 and got["suppressed"] == 2  # user 3's welcome was still queued
    assert members(sqlite_engine) == {
        1: ("order", "exited", "stopped"),
        3: ("wait1", "exited", "stopped"),
    }
    assert {s for _, s, _ in _states(sqlite_engine)} == {"suppressed"}
    add_event(sqlite_engine, 4, clock.now + 1)
    clock.now += 10 * DAY
    assert runner(sqlite_engine, clock).run_until_idle() == 0
    with pytest.raises(Conflict, match="is stopped"):
        set_state(sqlite_engine, jid, "resume", actor="ops")
    audit = rows(
        sqlite_engine,
        "SELECT actor, action FROM audit WHERE entity_type = 'journey' ORDER BY id",
    )
    assert [tuple(a) for a in audit] == [
        ("ops", "journey.create"),
        ("boss", "journey.approve"),
        ("ops", "journey.pause"),
        ("boss", "journey.resume"),
        ("ops", "journey.stop"),
    ]


def test_a_crash_between_enqueue_and_move_sends_nothing_twice(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 30, consent=("sms",))
    live(sqlite_engine, spec())
    for u in range(1, 31):
        add_event(sqlite_engine, u, T0 + 1)

    def crash(where: str) -> None:
        if where == "evaluated":
            raise RuntimeError("killed")

    clock = Clock(T0 + 10)
    with pytest.raises(RuntimeError):
        runner(sqlite_engine, clock, hook=crash, lease_s=60).run_until_idle()
    assert len(_states(sqlite_engine)) == 30  # enqueued, members not moved
    assert {m[0] for m in members(sqlite_engine).values()} == {"hello"}
    clock.now += 30  # the dead worker's lease still holds
    assert runner(sqlite_engine, clock).run_until_idle() == 0
    clock.now += 60
    runner(sqlite_engine, clock).run_until_idle()
    assert {m[0] for m in members(sqlite_engine).values()} == {"wait1"}
    assert len(_states(sqlite_engine)) == 30
    done = rows(sqlite_engine, "SELECT count(*), count(DISTINCT user_id) FROM journey_steps_done")
    assert done == [(30, 30)]

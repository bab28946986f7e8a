"""Journeys run only once approved, through the dispatch engine, on an injected clock."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.dispatch.factory import add_users
from tests.journeys.support import (
    NO_QUIET,
    T0,
    Clock,
    add_event,
    live,
    members,
    rows,
    runner,
    spec,
)
from userops.accounts import add_user
from userops.errors import Conflict, PolicyRefused
from userops.journeys.parse import parse_journey
from userops.journeys.records import approve, create_journey, edit_journey
from userops.journeys.views import show_journey

DAY = 86400


def _outbox(engine: Engine) -> list[tuple[str, str, int, str]]:
    got = rows(engine, "SELECT campaign_id, step_id, user_id, state FROM outbox ORDER BY id")
    return [(r[0], r[1], int(r[2]), r[3]) for r in got]


def test_nothing_runs_before_approval_and_the_author_never_approves(any_engine: Engine) -> None:
    add_users(any_engine, 3, consent=("sms",))
    jid = str(create_journey(any_engine, parse_journey(spec()), actor="ops")["id"])
    clock = Clock()
    add_event(any_engine, 1, T0)
    assert runner(any_engine, clock).run_until_idle() == 0
    assert members(any_engine) == {} and _outbox(any_engine) == []
    with pytest.raises(PolicyRefused, match="may not approve"):
        approve(any_engine, jid, actor="ops", now_ts=T0)
    add_user(any_engine, "boss", "approver")
    add_user(any_engine, "ana", "operator")
    with pytest.raises(PolicyRefused, match="approver or admin"):
        approve(any_engine, jid, actor="ana", now_ts=T0)
    assert runner(any_engine, clock).run_until_idle() == 0
    approve(any_engine, jid, actor="boss", now_ts=T0)
    with pytest.raises(Conflict, match="already approved by boss"):
        approve(any_engine, jid, actor="boss", version=1, now_ts=T0)
    add_event(any_engine, 2, T0 + 5)
    runner(any_engine, clock).run_until_idle()
    # the event before the approval does not enter; the one after does, and gets one SMS
    assert members(any_engine) == {2: ("wait1", "active", None)}
    assert _outbox(any_engine) == [(f"j-{jid}-v1", "hello#1", 2, "pending")]
    actions = rows(any_engine, "SELECT actor, action FROM audit WHERE entity_type = 'journey'")
    assert [tuple(a) for a in actions] == [("ops", "journey.create"), ("boss", "journey.approve")]


def _welcome(engine: Engine, **over: object) -> tuple[str, Clock]:
    add_users(engine, 4, consent=("sms",))
    jid = live(engine, spec(**over))
    for u in (1, 2, 3):
        add_event(engine, u, T0 + 1)
    clock = Clock(T0 + 10)
    runner(engine, clock).run_until_idle()
    return jid, clock


def test_wait_for_event_takes_both_branches(sqlite_engine: Engine) -> None:
    jid, clock = _welcome(sqlite_engine)
    add_event(sqlite_engine, 3, T0 + 3600, "Order Completed", total=5)  # before the wait: ignored
    clock.now = T0 + DAY + 20
    runner(sqlite_engine, clock).run_until_idle()
    assert {u: m[0] for u, m in members(sqlite_engine).items()} == {
        1: "order",
        2: "order",
        3: "order",
    }
    add_event(sqlite_engine, 1, clock.now + 60, "Order Completed", total=9)
    clock.now += 120
    runner(sqlite_engine, clock).run_until_idle()
    assert members(sqlite_engine)[1] == ("thanks", "exited", "ordered")  # at once, not at timeout
    assert members(sqlite_engine)[2] == ("order", "active", None)
    clock.now = T0 + 4 * DAY + 30
    runner(sqlite_engine, clock).run_until_idle()
    assert members(sqlite_engine) == {
        1: ("thanks", "exited", "ordered"),
        2: ("done", "exited", "completed"),
        3: ("done", "exited", "completed"),
    }
    nudges = sorted(u for _, step, u, _ in _outbox(sqlite_engine) if step == "nudge#1")
    assert nudges == [2, 3]
    nodes = show_journey(sqlite_engine, jid)["versions"][0]["nodes"]
    assert nodes["order"]["outcomes"] == {"happened": 1, "timed_out": 2}
    assert nodes["hello"]["entered"] == 3 and nodes["nudge"]["entered"] == 2


def test_the_goal_event_ends_the_journey_as_a_conversion(sqlite_engine: Engine) -> None:
    jid, clock = _welcome(sqlite_engine, goal={"event": "Order Completed"})
    add_event(sqlite_engine, 2, T0 + 7200, "Order Completed", total=5)
    clock.now = T0 + 7300
    runner(sqlite_engine, clock).run_until_idle()
    assert members(sqlite_engine)[2] == ("wait1", "exited", "goal")
    for day in (1, 5):
        clock.now = T0 + day * DAY + 60
        runner(sqlite_engine, clock).run_until_idle()
    assert members(sqlite_engine)[2] == ("wait1", "exited", "goal")  # never moved again
    assert 2 not in {u for _, step, u, _ in _outbox(sqlite_engine) if step == "nudge#1"}
    got = show_journey(sqlite_engine, jid)["versions"][0]
    assert got["nodes"]["wait1"]["converted"] == 1 and got["totals"]["converted"] == 1
    assert got["totals"]["exited"] == {"goal": 1, "completed": 2}


@pytest.mark.parametrize(
    ("rule", "entries"), [({"policy": "never"}, 1), ({"policy": "after", "days": 7}, 2)]
)
def test_reentry_policy(sqlite_engine: Engine, rule: dict[str, object], entries: int) -> None:
    _welcome(sqlite_engine, reentry=rule)
    clock = Clock(T0 + 2 * DAY)
    add_event(sqlite_engine, 1, clock.now)  # still in the journey: never twice at once
    runner(sqlite_engine, clock).run_until_idle()
    clock.now = T0 + 5 * DAY  # the journey is over (completed)
    runner(sqlite_engine, clock).run_until_idle()
    add_event(sqlite_engine, 1, clock.now)  # 5 days after the first entry: too early
    runner(sqlite_engine, clock).run_until_idle()
    clock.now = T0 + 8 * DAY
    add_event(sqlite_engine, 1, clock.now)
    runner(sqlite_engine, clock).run_until_idle()
    got = rows(sqlite_engine, "SELECT entry_no FROM journey_members WHERE user_id = 1")
    assert sorted(int(r[0]) for r in got) == list(range(1, entries + 1))
    steps = {s for _, s, u, _ in _outbox(sqlite_engine) if u == 1}
    assert ("hello#2" in steps) == (entries == 2)


def test_an_edit_is_a_new_version_that_needs_approval(sqlite_engine: Engine) -> None:
    jid, clock = _welcome(sqlite_engine)
    changed = spec(name="welcome v2")
    changed["nodes"][0]["variants"][0]["body"] = "【优选】{name}，你好，回T退订"
    edit_journey(sqlite_engine, jid, parse_journey(changed), actor="ops")
    add_event(sqlite_engine, 4, clock.now + 1)
    clock.now += 10
    runner(sqlite_engine, clock).run_until_idle()
    assert rows(sqlite_engine, "SELECT version_id FROM journey_members WHERE user_id = 4") == [(1,)]
    with pytest.raises(PolicyRefused):
        approve(sqlite_engine, jid, actor="ops")
    approve(sqlite_engine, jid, actor="boss", now_ts=clock.now)
    status = rows(sqlite_engine, "SELECT version, status FROM journey_versions ORDER BY version")
    assert [tuple(s) for s in status] == [(1, "superseded"), (2, "approved")]
    add_event(sqlite_engine, 1, clock.now + 1, "Signed Up")  # active in v1: not again
    for day in (1, 5):
        clock.now = T0 + day * DAY + 60
        runner(sqlite_engine, clock).run_until_idle()  # v1's members finish
    assert {m[1] for m in members(sqlite_engine).values()} == {"exited"}
    clock.now += 8 * DAY
    add_users(sqlite_engine, 1, start=9, consent=("sms",))
    add_event(sqlite_engine, 9, clock.now)
    runner(sqlite_engine, clock).run_until_idle()
    got = rows(sqlite_engine, "SELECT v.version FROM journey_members m JOIN journey_versions v"
               " ON v.id = m.version_id WHERE m.user_id = 9")  # fmt: skip
    assert got == [(2,)]
    assert (f"j-{jid}-v2", "hello#1", 9, "pending") in _outbox(sqlite_engine)


def test_quiet_hours_defer_never_drop_and_caps_are_shared(sqlite_engine: Engine) -> None:
    from tests.dispatch.factory import step
    from userops.dispatch.engine import enqueue
    from userops.dispatch.policy import Policy
    from userops.dispatch.worker import Worker

    add_users(sqlite_engine, 3, consent=("sms",))
    night = 1_780_066_800  # 2026-05-29 23:00 Asia/Shanghai
    policy = Policy.load()
    enqueue(sqlite_engine, step([3], campaign="promo"), policy=policy, now_ts=night - 7200)
    jid = live(sqlite_engine, spec(), now=night - 60)
    add_event(sqlite_engine, 1, night)
    add_event(sqlite_engine, 3, night)
    clock = Clock(night + 5)
    runner(sqlite_engine, clock, policy=policy).run_until_idle()
    got = rows(sqlite_engine, "SELECT user_id, state, reason, not_before_ts FROM outbox"
               " WHERE campaign_id != 'promo' ORDER BY user_id")  # fmt: skip
    assert got[0][:3] == (1, "deferred", "quiet_hours")
    assert got[0][3] == night + 10 * 3600  # 09:00 the next morning, local
    assert got[1][:3] == (3, "deferred", "frequency_cap")  # the campaign's SMS counts
    Worker(sqlite_engine, None, policy=policy, clock=lambda: night + 10 * 3600 + 1).run()
    assert rows(sqlite_engine, "SELECT user_id FROM deliveries ORDER BY id")[-1] == (1,)
    nodes = show_journey(sqlite_engine, jid)["versions"][0]["nodes"]
    assert nodes["hello"]["sent"] == 1 and nodes["hello"]["deferred"] == 1


def test_a_journey_without_quiet_hours_sends_through_the_worker(sqlite_engine: Engine) -> None:
    from userops.dispatch.worker import Worker
    from userops.journeys.runner import JourneyRunner

    add_users(sqlite_engine, 5, consent=("sms",))
    live(sqlite_engine, spec())
    for u in range(1, 6):
        add_event(sqlite_engine, u, T0 + 1)
    journeys = JourneyRunner(sqlite_engine, policy=NO_QUIET, clock=lambda: T0 + 10)
    stats = Worker(
        sqlite_engine, None, policy=NO_QUIET, clock=lambda: T0 + 10, tick=journeys.tick
    ).run()
    assert stats["sent"] == 5  # entered, enqueued and delivered in one worker run
    assert len(rows(sqlite_engine, "SELECT DISTINCT idempotency_key FROM deliveries")) == 5

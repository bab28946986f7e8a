"""The operator's send window of a step: enforced at enqueue and again at the gate."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from tests.dispatch.factory import add_users, outbox_rows, step
from tests.dispatch.test_policy import POLICY, utc, work
from userops.dispatch.engine import enqueue, preflight
from userops.dispatch.models import DispatchStep, SendWindow
from userops.dispatch.policy import zone
from userops.dispatch.window import inside, next_allowed, parse_bounds
from userops.errors import BadInput

WORK_HOURS = parse_bounds("10:00", "18:00")


def windowed(
    users: list[int], start: str = "10:00", end: str = "18:00", **kw: object
) -> DispatchStep:
    return step(users, **kw).model_copy(update={"send_window": SendWindow(start=start, end=end)})  # type: ignore[arg-type]


def test_outside_the_window_is_deferred_in_each_users_zone(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 1, tz="Asia/Shanghai", consent=("sms",))
    add_users(sqlite_engine, 1, start=2, tz="America/New_York", consent=("sms",))
    add_users(sqlite_engine, 1, start=3, tz="Europe/London", consent=("sms",))
    now = utc(2026, 5, 28, 7, 0)  # 15:00 Shanghai, 03:00 New York (quiet), 08:00 London
    r = enqueue(sqlite_engine, windowed([1, 2, 3]), policy=POLICY, now_ts=now)
    assert (r.pending, r.deferred, r.suppressed) == (1, 2, {})
    rows = {x[0]: x for x in outbox_rows(sqlite_engine)}
    assert rows[1][2] == "pending"
    assert rows[2][2:5] == ("deferred", "send_window", utc(2026, 5, 28, 14, 0))  # 10:00 EDT
    assert rows[3][2:5] == ("deferred", "send_window", utc(2026, 5, 28, 9, 0))  # 10:00 BST
    assert [m.user_id for m in work(sqlite_engine, now).seen] == [1]
    assert [m.user_id for m in work(sqlite_engine, utc(2026, 5, 28, 9, 0)).seen] == [3]
    assert [m.user_id for m in work(sqlite_engine, utc(2026, 5, 28, 14, 0)).seen] == [2]


def test_window_closing_between_enqueue_and_send_stops_the_adapter(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 1, consent=("sms",))
    enqueue(sqlite_engine, windowed([1]), policy=POLICY, now_ts=utc(2026, 5, 28, 9, 50))  # 17:50
    assert outbox_rows(sqlite_engine)[0][2] == "pending"
    assert work(sqlite_engine, utc(2026, 5, 28, 10, 5)).seen == []  # 18:05 CST: closed
    row = outbox_rows(sqlite_engine)[0]
    assert row[2:5] == ("deferred", "send_window", utc(2026, 5, 29, 2, 0))  # 10:00 next day
    assert work(sqlite_engine, utc(2026, 5, 29, 1, 59)).seen == []
    assert len(work(sqlite_engine, utc(2026, 5, 29, 2, 0)).seen) == 1


def test_preflight_counts_window_deferrals_and_writes_nothing(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 3, consent=("sms",))
    rep = preflight(sqlite_engine, windowed([1, 2, 3]), policy=POLICY, now_ts=utc(2026, 5, 28, 11))
    assert (rep.would_send, rep.deferred, rep.total) == (0, 3, 3)  # 19:00 CST
    assert outbox_rows(sqlite_engine) == []


def test_transactional_steps_wait_for_the_window_too(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 1, consent=())
    s = windowed([1], marketing=False)
    r = enqueue(sqlite_engine, s, policy=POLICY, now_ts=utc(2026, 5, 28, 11))  # 19:00 CST
    assert r.deferred == 1
    assert outbox_rows(sqlite_engine)[0][2:5] == ("deferred", "send_window", utc(2026, 5, 29, 2))


def test_window_without_a_quiet_free_minute_is_refused_and_writes_nothing(
    sqlite_engine: Engine,
) -> None:
    add_users(sqlite_engine, 1, consent=("sms",))
    with pytest.raises(BadInput) as exc:
        enqueue(
            sqlite_engine, windowed([1], "22:00", "23:00"), policy=POLICY, now_ts=utc(2026, 5, 28)
        )
    assert exc.value.problems[0].field == "send_window"
    assert "22:00-23:00" in str(exc.value)
    assert outbox_rows(sqlite_engine) == []


@pytest.mark.parametrize(
    "bad", [("25:00", "18:00"), ("10:00", "10:00"), ("9:00", "18:00"), ("x", "y")]
)
def test_bad_windows_are_refused_by_the_model(bad: tuple[str, str]) -> None:
    with pytest.raises(ValidationError):
        SendWindow.model_validate(bad)


def test_window_as_a_pair() -> None:
    assert SendWindow.model_validate(("10:00", "18:00")) == SendWindow(start="10:00", end="18:00")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 3, 8, 0, 0), utc(2026, 3, 8, 14, 0)),  # 19:00 EST Sat -> 10:00 EDT Sun
        (utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 14, 0)),  # 01:30 EST (before the jump)
        (utc(2026, 10, 31, 22, 30), utc(2026, 11, 1, 15, 0)),  # 18:30 EDT -> 10:00 EST
        (utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 15, 0)),  # the repeated 01:30 EST
        (utc(2026, 11, 1, 22, 59), utc(2026, 11, 1, 22, 59)),  # 17:59 EST: inside
        (utc(2026, 11, 1, 23, 0), utc(2026, 11, 2, 15, 0)),  # 18:00 EST: closed
    ],
)
def test_window_across_daylight_saving_boundaries(now: int, expected: int) -> None:
    assert next_allowed(POLICY, now, "America/New_York", WORK_HOURS, True) == expected


def test_window_start_in_the_spring_forward_gap_is_the_first_minute_after_it() -> None:
    w = parse_bounds("02:30", "05:00")  # 02:30 does not exist on 2026-03-08 in New York
    assert next_allowed(POLICY, utc(2026, 3, 8, 6), "America/New_York", w, False) == utc(
        2026, 3, 8, 7, 0
    )  # 03:00 EDT


def test_intersection_with_quiet_hours_and_a_window_wrapping_midnight() -> None:
    wide = parse_bounds("08:00", "22:00")  # quiet hours 21:00-09:00 cut both ends
    tz = "Asia/Shanghai"
    assert next_allowed(POLICY, utc(2026, 5, 28, 0, 30), tz, wide, True) == utc(2026, 5, 28, 1)
    assert next_allowed(POLICY, utc(2026, 5, 28, 13, 30), tz, wide, True) == utc(2026, 5, 29, 1)
    night = parse_bounds("20:00", "08:00")  # wraps midnight: only 20:00-21:00 is quiet-free
    assert next_allowed(POLICY, utc(2026, 5, 28, 2), tz, night, True) == utc(2026, 5, 28, 12)
    assert next_allowed(POLICY, utc(2026, 5, 28, 12, 59), tz, night, True) == utc(
        2026, 5, 28, 12, 59
    )
    assert next_allowed(POLICY, utc(2026, 5, 28, 13), tz, night, False) == utc(2026, 5, 28, 13)
    assert next_allowed(POLICY, utc(2026, 5, 28, 13), tz, night, True) == utc(2026, 5, 29, 12)


@pytest.mark.parametrize(
    "tz", ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe"]
)
def test_the_allowed_time_is_always_inside_the_window_and_outside_quiet_hours(tz: str) -> None:
    rng = random.Random(tz)
    q = POLICY.quiet_hours
    assert q is not None
    for _ in range(400):
        ts = rng.randrange(utc(2026, 1, 1), utc(2027, 1, 1))
        t = next_allowed(POLICY, ts, tz, WORK_HOURS, True)
        local = datetime.fromtimestamp(t, zone(tz)).time().replace(tzinfo=None)
        assert ts <= t < ts + 2 * 86400
        assert inside(local, WORK_HOURS) and not inside(local, (q.start, q.end))
        before = datetime.fromtimestamp(t - 60, zone(tz)).time().replace(tzinfo=None)
        assert t == ts or not inside(before, WORK_HOURS)  # the first allowed minute


def test_utc_helper_sanity() -> None:
    assert datetime.fromtimestamp(utc(2026, 5, 28), UTC).day == 28


def test_fallback_steps_inherit_the_window(sqlite_engine: Engine) -> None:
    from userops.dispatch.models import FallbackRule
    from userops.dispatch.worker import Worker

    add_users(sqlite_engine, 2, consent=("sms", "app_push"))
    fb = FallbackRule(after_seconds=6 * 3600, channel="sms", variant_id="v1")
    s = windowed([1, 2], channel="app_push", fallback=fb)
    t0 = utc(2026, 5, 28, 2)  # 10:00 CST: the push goes now
    enqueue(sqlite_engine, s, policy=POLICY, now_ts=t0)
    Worker(sqlite_engine, None, policy=POLICY, clock=lambda: t0).run()
    at_19 = utc(2026, 5, 28, 11)  # 19:00 CST: fallback due (no response), window closed
    Worker(sqlite_engine, None, policy=POLICY, clock=lambda: at_19).run()
    fb_rows = [r for r in outbox_rows(sqlite_engine) if r[5] == "s1-fb"]
    assert len(fb_rows) == 2
    assert {r[2:5] for r in fb_rows} == {("deferred", "send_window", utc(2026, 5, 29, 2))}

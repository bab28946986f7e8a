"""The circuit breaker's state machine and the delivery deadline (unit level)."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.dispatch.adapters.pipeline import DAY_TS, FAST
from tests.dispatch.factory import add_users, sms, step
from userops.dispatch.breaker import CircuitBreaker, expire
from userops.dispatch.engine import enqueue
from userops.dispatch.outbox import Claimed
from userops.dispatch.policy import RetryPolicy


def test_opens_after_failures_probes_once_and_doubles_the_cooldown() -> None:
    b = CircuitBreaker(failures=2, cooldown=30, max_cooldown=100)
    assert b.admit(0, 50) == 50
    b.record(False, 0, "HTTP 503")
    assert b.state == "closed" and b.admit(1, 50) == 50  # one failure is not an outage
    b.record(False, 1, "HTTP 503")
    assert b.state == "open" and b.open_until == 31 and b.admit(30, 50) == 0
    assert b.admit(31, 50) == 1 and b.state == "half_open"  # one probe
    b.record(False, 31, "HTTP 503")
    assert b.state == "open" and b.open_until == 31 + 60  # failed probe: twice as long
    for t in (91, 191, 291):
        assert b.admit(t, 50) == 1
        b.record(False, t, "refused")
    assert b.open_until == 291 + 100 and b.opened == 5  # capped at max_cooldown
    assert b.admit(391, 50) == 1
    b.record(True, 391)
    assert b.state == "closed" and b.cooldown == 30 and b.admit(392, 50) == 50


def test_hold_defers_to_the_end_of_the_cooldown_without_an_attempt() -> None:
    b = CircuitBreaker(failures=1, cooldown=30)
    b.record(False, 100, "HTTP 503: ServiceUnavailable")
    row = Claimed(7, "k", "c1", "s1", 1, "sms", "v1", {}, True, 3, 0.0)
    (move,) = b.hold([row], 100)
    assert move == {
        "id": 7,
        "state": "deferred",
        "nbt": 130,
        "reason": "circuit_open: HTTP 503: ServiceUnavailable",
        "tries": 0,
    }


def test_expire_dead_letters_only_past_the_deadline(sqlite_engine: Engine) -> None:
    users = add_users(sqlite_engine, 2, consent=("sms",))
    enqueue(sqlite_engine, step(users, contents={"v1": sms()}), policy=FAST, now_ts=DAY_TS)
    retry = RetryPolicy(deadline_hours=1)
    moves = [
        {"id": 1, "state": "deferred", "nbt": DAY_TS + 3600, "reason": "retry: x", "tries": 1},
        {
            "id": 2,
            "state": "deferred",
            "nbt": DAY_TS + 3601,
            "reason": "circuit_open: y",
            "tries": 0,
        },
        {"id": 2, "state": "failed", "nbt": DAY_TS + 9999, "reason": "permanent", "tries": 1},
    ]
    out = expire(sqlite_engine, [dict(m) for m in moves], retry)
    assert [m["state"] for m in out] == ["deferred", "dead", "failed"]
    assert out[1]["reason"] == "expired: circuit_open: y"

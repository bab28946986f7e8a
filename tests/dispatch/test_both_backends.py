"""The same engine on SQLite and PostgreSQL: gate, DST deferral, caps, simulate, fallback."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, text

from tests.dispatch.doubles import RecordingAdapter
from tests.dispatch.factory import add_users, outbox_rows, set_consent, step
from userops.dispatch.engine import enqueue, preflight
from userops.dispatch.models import FallbackRule
from userops.dispatch.policy import Policy
from userops.dispatch.sandbox import simulate_responses
from userops.dispatch.worker import Worker
from userops.store.meta import mark_simulated

POLICY = Policy.load()
DAY = 86400


def utc(*a: int) -> int:
    return int(datetime(*a, tzinfo=UTC).timestamp())


def test_policy_and_gate_on_both_backends(any_engine: Engine) -> None:
    add_users(any_engine, 3, tz="America/New_York", consent=("sms",))
    now = utc(2026, 3, 8, 6, 30)  # 01:30 EST, the night clocks spring forward
    r = enqueue(any_engine, step([1, 2, 3]), policy=POLICY, now_ts=now)
    assert r.deferred == 3
    assert {x[4] for x in outbox_rows(any_engine)} == {utc(2026, 3, 8, 13, 0)}  # 09:00 EDT
    set_consent(any_engine, 2, "sms", "withdrawn", now + 60)
    adapter = RecordingAdapter("sms")
    Worker(any_engine, {"sms": adapter}, policy=POLICY, clock=lambda: utc(2026, 3, 8, 13, 0)).run()
    assert sorted(m.user_id for m in adapter.seen) == [1, 3]
    later = preflight(
        any_engine, step([1], campaign="other"), policy=POLICY, now_ts=utc(2026, 3, 8, 15, 0)
    )
    assert later.deferred == 1  # the daily slot is taken by campaign c1


def test_simulate_and_fallback_on_both_backends(any_engine: Engine) -> None:
    mark_simulated(any_engine, "test")  # a store made for simulation
    attrs = {"propensity": {"channel": {"app_push": 0.5}, "content": {"tutorial": 0.5}}}
    users = add_users(any_engine, 60, consent=("sms", "app_push"), attributes=attrs)
    t0 = 1779933600
    fb = FallbackRule(after_seconds=DAY, channel="sms", variant_id="v1")
    enqueue(
        any_engine,
        step(users, channel="app_push", fallback=fb, holdout=[60]),
        policy=POLICY,
        now_ts=t0,
    )
    Worker(any_engine, None, policy=POLICY, clock=lambda: t0).run()
    counts = simulate_responses(any_engine, until_ts=t0 + DAY + 60)
    assert counts["message_delivered"] == 59
    Worker(any_engine, None, policy=POLICY, clock=lambda: t0 + DAY + 60).run()
    with any_engine.connect() as conn:
        opened = set(
            conn.execute(text("SELECT user_id FROM events WHERE type = 'message_opened'")).scalars()
        )
        fb_users = set(
            conn.execute(
                text("SELECT user_id FROM outbox WHERE step_id = 's1-fb' AND state = 'sent'")
            ).scalars()
        )
    assert opened and fb_users
    assert fb_users == set(users[:59]) - opened

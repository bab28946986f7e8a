"""Simulation runs only on a store marked simulated, and only on the campaign simulated."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from agents.nodes.wiring import sandbox_deliver
from tests.dispatch.factory import add_users, step
from userops.dispatch.engine import enqueue
from userops.dispatch.fast_forward import fast_forward
from userops.dispatch.policy import Policy
from userops.dispatch.sandbox import simulate_responses
from userops.dispatch.worker import Worker
from userops.settings import Settings
from userops.store.meta import NotSimulated, is_simulated, mark_simulated, simulated_by

POLICY = Policy.load()
T0 = 1779933600  # 2026-05-28 02:00 UTC, 10:00 in Shanghai
FAN = {"propensity": {"channel": {"sms": 0.9}, "content": {"tutorial": 0.9}}, "organic_rate": 0.9}


def _rows(engine: Engine, sql: str, **params: object) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def _campaign_b(engine: Engine) -> list[tuple[object, ...]]:
    """Campaign B: users 101-140, half sent an hour ago, half due in 30 hours."""
    users = add_users(engine, 40, start=101, consent=("sms",), attributes=FAN)
    enqueue(engine, step(users[:20], campaign="B", step_id="b1"), policy=POLICY, now_ts=T0 - 3600)
    Worker(engine, None, policy=POLICY, clock=lambda: T0 - 3600, campaigns=["B"]).run()
    enqueue(engine, step(users[20:], campaign="B", step_id="b2"), policy=POLICY, now_ts=T0)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE outbox SET state = 'deferred', not_before_ts = :t WHERE step_id = 'b2'"),
            {"t": T0 + 30 * 3600},
        )
    return _rows(engine, "SELECT * FROM outbox WHERE campaign_id = 'B' ORDER BY id")


def test_simulating_a_never_touches_b(sqlite_engine: Engine, home: Path) -> None:
    """Before: the moved clock (+48 h) sent B's rows due at +30 h, and B's deliveries got
    simulated opens, clicks, orders and opt-outs as well."""
    mark_simulated(sqlite_engine, "test")
    before_b = _campaign_b(sqlite_engine)
    b_events = "SELECT count(*) FROM events WHERE user_id > 100"
    assert _rows(sqlite_engine, b_events) == [(0,)]
    a_users = add_users(sqlite_engine, 30, consent=("sms",), attributes=FAN)
    out = sandbox_deliver(
        sqlite_engine, [step(a_users, campaign="A")], settings=Settings(home=home), now_ts=T0
    )
    assert out["sent"] == 30
    assert _rows(sqlite_engine, "SELECT * FROM outbox WHERE campaign_id = 'B' ORDER BY id") == (
        before_b
    )
    assert _rows(sqlite_engine, b_events) == [(0,)]
    assert _rows(sqlite_engine, "SELECT count(*) FROM consents WHERE user_id > 100") == [(40,)]
    a_events = _rows(sqlite_engine, "SELECT count(*) FROM events WHERE user_id <= 30")
    assert a_events[0][0] >= 30  # A itself was simulated: every delivery at least delivered


def test_simulated_writes_refuse_an_unmarked_store(sqlite_engine: Engine) -> None:
    """The lowest layer refuses, whoever calls it: nothing simulated lands, nothing is sent."""
    users = add_users(sqlite_engine, 20, consent=("sms",), attributes=FAN)
    enqueue(sqlite_engine, step(users[:10], campaign="A"), policy=POLICY, now_ts=T0)
    Worker(sqlite_engine, None, policy=POLICY, clock=lambda: T0).run()  # real deliveries
    enqueue(sqlite_engine, step(users[10:], campaign="A", step_id="s2"), policy=POLICY, now_ts=T0)
    outbox = _rows(sqlite_engine, "SELECT * FROM outbox ORDER BY id")
    assert not is_simulated(sqlite_engine)
    with pytest.raises(NotSimulated) as refused:
        simulate_responses(sqlite_engine, until_ts=T0 + 10 * 86400)
    assert refused.value.reason == "not_simulated"
    with pytest.raises(NotSimulated):
        simulate_responses(sqlite_engine, until_ts=T0 + 10 * 86400, campaign_id="A")
    with pytest.raises(NotSimulated):
        fast_forward(sqlite_engine, "A", policy=POLICY, now=T0 + 3600)
    assert _rows(sqlite_engine, "SELECT count(*) FROM events") == [(0,)]
    assert _rows(sqlite_engine, "SELECT count(*) FROM consents WHERE source = 'sandbox'") == [(0,)]
    assert _rows(sqlite_engine, "SELECT * FROM outbox ORDER BY id") == outbox
    mark_simulated(sqlite_engine, "test")
    mark_simulated(sqlite_engine, "other")  # the first mark stays
    assert simulated_by(sqlite_engine.connect()) == "test"
    assert simulate_responses(sqlite_engine, until_ts=T0 + 10 * 86400)["message_delivered"] == 10


def test_worker_claims_only_its_campaigns(sqlite_engine: Engine) -> None:
    users = add_users(sqlite_engine, 10, consent=("sms",))
    enqueue(sqlite_engine, step(users[:5], campaign="A"), policy=POLICY, now_ts=T0)
    enqueue(sqlite_engine, step(users[5:], campaign="B"), policy=POLICY, now_ts=T0)
    Worker(sqlite_engine, None, policy=POLICY, clock=lambda: T0, campaigns=["A"]).run()
    states = "SELECT campaign_id, state, count(*) FROM outbox GROUP BY campaign_id, state"
    assert sorted(_rows(sqlite_engine, states)) == [("A", "sent", 5), ("B", "pending", 5)]

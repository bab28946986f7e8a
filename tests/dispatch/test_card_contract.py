"""The card is a contract: the engine never enqueues beyond what approved cards permit."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.dispatch.card_helpers import approve_card, contents, held, reasons
from tests.dispatch.factory import add_users
from userops.dispatch.bounds import OVER_BOUND
from userops.dispatch.engine import enqueue, preflight
from userops.dispatch.fallback import spawn_fallbacks
from userops.dispatch.models import DispatchStep, FallbackRule
from userops.dispatch.policy import Policy
from userops.dispatch.worker import Worker

POLICY = Policy.load()
T0 = 1779933600  # 10:00 in Shanghai
HOUR = 3600


def _step(users: list[int], channel: str = "sms", **kw: object) -> DispatchStep:
    variant = {"sms": "v1", "app_push": "p1", "email": "e1"}[channel]
    return DispatchStep(
        campaign_id=str(kw.pop("campaign", "c1")),
        contents=contents(),
        assignments=[(u, channel, variant) for u in users],
        **kw,  # type: ignore[arg-type]
    )


def test_enqueue_stops_at_the_approved_count(any_engine: Engine) -> None:
    users = add_users(any_engine, 10)
    card = _step(users[:4])
    contract = approve_card(any_engine, "c1", [(card, preflight(any_engine, card, now_ts=T0))])
    assert contract is not None and contract.max_messages == 4
    res = enqueue(any_engine, _step(users[:8]), policy=POLICY, now_ts=T0)
    assert res.pending == 4 and res.suppressed == {OVER_BOUND: 4}
    again = enqueue(any_engine, _step(users), policy=POLICY, now_ts=T0)  # 2 more users
    assert again.pending == 0 and again.suppressed == {OVER_BOUND: 2}
    assert held(any_engine, "c1") == {("s1", "sms"): (4, pytest.approx(0.2))}
    assert reasons(any_engine, "c1", "s1") == {OVER_BOUND: 6}


def test_enqueue_stops_at_the_approved_cost(sqlite_engine: Engine) -> None:
    users = add_users(sqlite_engine, 10)
    bound = {"channel": "sms", "max_messages": 10, "max_cost": 0.2}  # 4 messages at 0.05
    approve_card(sqlite_engine, "c1", contract={"steps": [{"step_id": "s1", "bounds": [bound]}]})
    res = enqueue(sqlite_engine, _step(users), policy=POLICY, now_ts=T0)
    assert res.pending == 4 and res.cost == pytest.approx(0.2)
    assert res.suppressed == {OVER_BOUND: 6}


def test_steps_and_channels_off_the_card_send_nothing(sqlite_engine: Engine) -> None:
    users = add_users(sqlite_engine, 6)
    card = _step(users)
    approve_card(sqlite_engine, "c1", [(card, preflight(sqlite_engine, card, now_ts=T0))])
    other = enqueue(sqlite_engine, _step(users, step_id="s2"), policy=POLICY, now_ts=T0)
    push = enqueue(sqlite_engine, _step(users, "app_push", step_id="s1"), policy=POLICY, now_ts=T0)
    assert other.pending == push.pending == 0
    assert other.suppressed == push.suppressed == {OVER_BOUND: 6}


def test_a_pending_card_permits_nothing(sqlite_engine: Engine) -> None:
    users = add_users(sqlite_engine, 5)
    card = _step(users)
    parts = [(card, preflight(sqlite_engine, card, now_ts=T0))]
    approve_card(sqlite_engine, "c1", parts, decide=False)
    res = enqueue(sqlite_engine, _step(users), policy=POLICY, now_ts=T0)
    assert res.pending == 0 and res.suppressed == {OVER_BOUND: 5}


def test_a_campaign_without_approvals_is_not_bounded(sqlite_engine: Engine) -> None:
    users = add_users(sqlite_engine, 5)
    res = enqueue(sqlite_engine, _step(users), policy=POLICY, now_ts=T0)
    assert res.pending == 5 and res.suppressed == {}


def test_the_fallback_spawner_stops_at_the_card(sqlite_engine: Engine) -> None:
    users = add_users(sqlite_engine, 10, consent=("sms", "app_push"))
    fb = FallbackRule(after_seconds=HOUR, channel="sms", variant_id="v1")
    card = _step(users, "app_push", fallback=fb)
    report = preflight(sqlite_engine, card, now_ts=T0)
    assert report.fallback is not None and report.fallback.max_messages == 10  # all on push
    assert report.fallback.max_cost == pytest.approx(0.5)
    contract = approve_card(sqlite_engine, "c1", [(card, report)])
    assert contract is not None
    assert [(s.step_id, s.kind, s.of) for s in contract.steps] == [
        ("s1", "main", None),
        ("s1-fb", "fallback", "s1"),
    ]
    enqueue(sqlite_engine, card, policy=POLICY, now_ts=T0)
    Worker(sqlite_engine, None, policy=POLICY, clock=lambda: T0).run()
    # a policy edit after approval makes SMS dearer: the fallback's cost bound now binds
    dearer = POLICY.model_copy(update={"costs": {**POLICY.costs, "sms": 0.08}})
    spawn_fallbacks(sqlite_engine, now_ts=T0 + 2 * HOUR, policy=dearer)
    assert held(sqlite_engine, "c1")[("s1-fb", "sms")] == (6, pytest.approx(0.48))
    assert reasons(sqlite_engine, "c1", "s1-fb") == {OVER_BOUND: 4}

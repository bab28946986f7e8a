"""A provider down for minutes (503, then connection refused), on an injected clock.

The real worker and Aliyun SMS adapter against the local fake: while the provider is down
the channel's circuit breaker opens and half-opens (one probe per cool-down, no busy loop),
rows wait deferred without being dead-lettered by attempts; when the provider is back every
message is delivered exactly once; rows past their delivery deadline are dead with
``expired: ...``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.dispatch.adapters.pipeline import DAY_TS, rows
from tests.dispatch.factory import add_users, sms, step
from tests.fakes.aliyun import FakeAliyunSms
from userops.dispatch.adapters._http import dedupe_id
from userops.dispatch.adapters.aliyun_sms import AliyunSmsAdapter
from userops.dispatch.adapters.base import OutgoingMessage, SendResult
from userops.dispatch.engine import enqueue
from userops.dispatch.outbox import idempotency_key
from userops.dispatch.policy import Policy
from userops.dispatch.worker import Worker

POLICY = Policy.with_overrides(
    {
        "retry": {
            "max_attempts": 4,
            "initial_seconds": 0.001,
            "max_seconds": 0.01,
            "in_process_tries": 2,
            "deadline_hours": 0.25,
            "breaker_failures": 2,
            "breaker_cooldown_seconds": 30,
            "breaker_max_cooldown_seconds": 120,
        }
    }
)
DOWN_503, DOWN_REFUSED, BACK = 300, 600, 1200
"""Seconds after DAY_TS: 503 until 300 s, connection refused until 600 s, then served."""


class Counting:
    """Wraps an adapter and counts the messages handed to it, by outage phase."""

    def __init__(self, inner: AliyunSmsAdapter, clock: list[int]) -> None:
        self.inner, self.clock = inner, clock
        self.capabilities = inner.capabilities
        self.handed: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    async def send_batch(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        phase = "down" if self.clock[0] - DAY_TS < DOWN_REFUSED else "up"
        self.calls[phase] += 1
        self.handed[phase] += len(messages)
        return await self.inner.send_batch(messages)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def fake() -> Iterator[FakeAliyunSms]:
    server = FakeAliyunSms().start()
    yield server
    server.stop()


def test_provider_down_for_minutes(any_engine: Engine, fake: FakeAliyunSms) -> None:
    old = add_users(any_engine, 10, start=1, consent=("sms",))
    new = add_users(any_engine, 20, start=11, consent=("sms",))
    content = {"v1": sms()}
    enqueue(
        any_engine, step(old, step_id="s0", contents=content), policy=POLICY, now_ts=DAY_TS - 600
    )
    enqueue(any_engine, step(new, step_id="s1", contents=content), policy=POLICY, now_ts=DAY_TS)
    clock = [DAY_TS]
    adapter = Counting(
        fake.adapter(),
        clock,
    )
    worker = Worker(any_engine, {"sms": adapter}, policy=POLICY, clock=lambda: clock[0])
    breaker = worker.breakers["sms"]
    fake.faults.down = "5xx"
    states: Counter[str] = Counter()
    while clock[0] - DAY_TS < BACK:
        t = clock[0] - DAY_TS
        if t == DOWN_503:
            fake.stop()  # connection refused from now on
        if t == DOWN_REFUSED:
            fake.faults.down = None
            fake.start()  # the same port again
        worker.run()
        states[breaker.state] += 1
        if t < DOWN_REFUSED:  # nothing is dead-lettered by attempts during the outage
            assert all(
                s[0] != "dead" or (s[1] or "").startswith("expired:")
                for s in rows(any_engine).values()
            )
        clock[0] += 10

    state = rows(any_engine)
    assert {u: state[u][0] for u in new} == dict.fromkeys(new, "sent")
    assert {u: state[u][0] for u in old} == dict.fromkeys(old, "dead")
    assert all((state[u][1] or "").startswith("expired: circuit_open") for u in old)
    keys = {u: dedupe_id(idempotency_key("c1", "s1", u, "sms")) for u in new}
    assert fake.counts() == {keys[u]: 1 for u in new}  # each delivered exactly once
    # the breaker opened and probed; during the 10-minute outage the provider got two full
    # failed hand-overs and then one-message probes, not a hand-over every pass (60 passes)
    assert breaker.opened >= 3 and states["open"] >= 30 and breaker.state == "closed"
    assert adapter.handed["down"] <= 2 * 2 * 30 + 2 * 10
    assert adapter.calls["down"] <= 2 * 2 + 2 * 10
    assert max(state[u][2] for u in new) <= 2 * 2 + 2 * 10  # attempts stayed bounded

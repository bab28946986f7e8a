"""Webhook adapter against a local receiver over real HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Iterator

import pytest

from tests.fakes.webhook import FakeWebhook
from userops.dispatch.adapters.base import OutgoingMessage, SendResult
from userops.dispatch.adapters.webhook import WebhookAdapter


@pytest.fixture
def fake() -> Iterator[FakeWebhook]:
    server = FakeWebhook().start()
    yield server
    server.stop()


def msg(i: int) -> OutgoingMessage:
    return OutgoingMessage(f"c1|s1|{i}|webhook", i, "webhook", "c1", {"body": f"订单 {i} 已发货"})


async def _send(a: WebhookAdapter, ms: list[OutgoingMessage]) -> list[SendResult]:
    try:
        return await a.send_batch(ms)
    finally:
        await a.aclose()


def test_signed_post_and_fault_classes(fake: FakeWebhook) -> None:
    ms = [msg(i) for i in range(1, 6)]
    for m, mode in zip(ms[1:], ("5xx", "slow", "429", "permanent"), strict=True):
        fake.faults.add(m.idempotency_key, mode)
    a = WebhookAdapter(url=fake.url + "/hook", secret=fake.secret, timeout=0.5, clock=lambda: 1700)
    ok, down, slow, limited, bad = asyncio.run(_send(a, ms))
    assert ok.ok and ok.provider_message_id
    assert down.transient and down.error == "http 500"
    assert slow.transient and "timeout" in (slow.error or "")
    assert limited.transient and limited.retry_after == 2.0
    assert not bad.ok and not bad.transient and bad.error == "http 422"
    first = next(r for r in fake.requests if r["key"] == "c1|s1|1|webhook")
    expected = hmac.new(b"whsec", b"1700." + first["raw"], hashlib.sha256).hexdigest()
    assert first["sig"] == "sha256=" + expected and first["ts"] == "1700"
    body = json.loads(first["raw"])
    assert body["content"] == {"body": "订单 1 已发货"} and body["user_id"] == 1
    assert fake.counts() == {"c1|s1|1|webhook": 1}


def test_wrong_secret_is_refused_permanently(fake: FakeWebhook) -> None:
    a = WebhookAdapter(url=fake.url + "/hook", secret="other")
    [r] = asyncio.run(_send(a, [msg(1)]))
    assert not r.ok and not r.transient and r.error == "http 401"
    assert fake.delivered == []


def test_connection_refused_is_transient() -> None:
    server = FakeWebhook().start()
    url = server.url + "/hook"
    server.stop()
    [r] = asyncio.run(_send(WebhookAdapter(url=url, secret="s", timeout=0.5), [msg(1)]))
    assert r.transient and "network" in (r.error or "")

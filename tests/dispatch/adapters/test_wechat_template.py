"""WeChat template-message adapter against the local fake over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.fakes.wechat import FakeWechat
from userops.dispatch.adapters._http import dedupe_id
from userops.dispatch.adapters.base import OutgoingMessage, SendResult
from userops.dispatch.adapters.wechat_template import (
    MiniprogramSubscribeAdapter,
    WechatTemplateAdapter,
)


@pytest.fixture
def fake() -> Iterator[FakeWechat]:
    server = FakeWechat().start()
    yield server
    server.stop()


def msg(i: int) -> OutgoingMessage:
    content = {
        "template_id": "TPL1",
        "url": "https://m.example.com/t/1",
        "template_fields": {"first": f"您好 {i}", "remark": "点击查看"},
    }
    return OutgoingMessage(
        f"c1|s1|{i}|wechat_template",
        i,
        "wechat_template",
        "c1",
        content,
        {"wechat_openid": f"o{i}"},
    )


def adapter(fake: FakeWechat) -> WechatTemplateAdapter:
    return WechatTemplateAdapter(
        appid=fake.appid, secret=fake.secret, endpoint=fake.url, timeout=0.5
    )


async def _send(a: WechatTemplateAdapter, batches: list[list[OutgoingMessage]]) -> list[SendResult]:
    out: list[SendResult] = []
    try:
        for b in batches:
            out += await a.send_batch(b)
    finally:
        await a.aclose()
    return out


def test_token_cached_across_batches_and_body_shape(fake: FakeWechat) -> None:
    a = adapter(fake)
    results = asyncio.run(_send(a, [[msg(1), msg(2)], [msg(3)]]))
    assert all(r.ok for r in results)
    assert len(fake.tokens_issued) == 1 and a.tokens.fetches == 1
    body = next(r["body"] for r in fake.requests if r["body"]["touser"] == "o1")
    assert body == {
        "touser": "o1",
        "template_id": "TPL1",
        "url": "https://m.example.com/t/1",
        "data": {"first": {"value": "您好 1"}, "remark": {"value": "点击查看"}},
        "client_msg_id": dedupe_id("c1|s1|1|wechat_template"),
    }


def test_expired_token_refreshed_once_and_retried(fake: FakeWechat) -> None:
    a = adapter(fake)

    async def scenario() -> list[SendResult]:
        try:
            first = await a.send_batch([msg(1)])
            fake.expire_tokens()
            return first + await a.send_batch([msg(2), msg(3)])
        finally:
            await a.aclose()

    results = asyncio.run(scenario())
    assert all(r.ok for r in results)
    assert len(fake.tokens_issued) == 2  # one refresh for the two concurrent messages
    assert len(fake.delivered) == 3 and len(set(fake.delivered)) == 3


def test_errcodes_map_to_transient_or_permanent(fake: FakeWechat) -> None:
    ms = [msg(i) for i in range(1, 6)]
    for m, mode in zip(ms[1:], ("5xx", "slow", "429", "permanent"), strict=True):
        fake.faults.add(dedupe_id(m.idempotency_key), mode)
    ok, gateway, slow, quota, unfollowed = asyncio.run(_send(adapter(fake), [ms]))
    assert ok.ok and ok.provider_message_id
    assert gateway.transient and gateway.error == "http 502"
    assert slow.transient and "timeout" in (slow.error or "")
    assert quota.transient and quota.retry_after == 1.0 and "45009" in (quota.error or "")
    assert not unfollowed.transient and "43004" in (unfollowed.error or "")
    assert fake.counts() == {dedupe_id(ms[0].idempotency_key): 1}


def test_bad_app_secret_fails_every_message_transiently(fake: FakeWechat) -> None:
    a = WechatTemplateAdapter(appid="wx1", secret="nope", endpoint=fake.url)
    results = asyncio.run(_send(a, [[msg(1), msg(2)]]))
    assert all(r.transient and "40125" in (r.error or "") for r in results)
    assert fake.tokens_issued == [] and fake.delivered == []


def test_miniprogram_subscription_messages(fake: FakeWechat) -> None:
    a = MiniprogramSubscribeAdapter(appid=fake.appid, secret=fake.secret, endpoint=fake.url)
    fake.faults.always["o2"] = "permanent"
    ms = [msg(1), msg(2)]
    for m in ms:
        m.channel = "miniprogram"
    ok, refused = asyncio.run(_send(a, [ms]))
    assert ok.ok and not refused.ok and not refused.transient and "43101" in (refused.error or "")
    body = next(r["body"] for r in fake.requests if r["body"]["touser"] == "o1")
    assert body == {
        "touser": "o1",
        "template_id": "TPL1",
        "page": "https://m.example.com/t/1",
        "data": {"first": {"value": "您好 1"}, "remark": {"value": "点击查看"}},
        "miniprogram_state": "formal",
        "lang": "zh_CN",
    }
    assert a.capabilities.channel == "miniprogram" and fake.counts() == {"o1": 1}


def test_an_unparsable_answer_fails_only_its_own_message(fake: FakeWechat) -> None:
    """Were it to escape, the worker would retry the whole batch and re-send the others."""
    ms = [msg(i) for i in range(1, 4)]
    fake.faults.add(dedupe_id(ms[1].idempotency_key), "garbage")
    ok1, garbled, ok3 = asyncio.run(_send(adapter(fake), [ms]))
    assert ok1.ok and ok3.ok
    assert garbled.transient and "JSONDecodeError" in (garbled.error or "")
    assert len(fake.delivered) == 2

"""Aliyun SMS adapter against the local fake Dysmsapi over real HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from tests.fakes.aliyun import FakeAliyunSms
from userops.dispatch.adapters._http import dedupe_id
from userops.dispatch.adapters.aliyun_sms import AliyunSmsAdapter, percent, sign
from userops.dispatch.adapters.base import OutgoingMessage

DOC_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}


@pytest.fixture
def fake() -> Iterator[FakeAliyunSms]:
    server = FakeAliyunSms().start()
    yield server
    server.stop()


def msg(i: int, **content: object) -> OutgoingMessage:
    return OutgoingMessage(
        f"c1|s1|{i}|sms",
        i,
        "sms",
        "c1",
        {"body": f"【优选】hi {i} 回T退订", **content},
        {"phone": f"+86138{i:08d}"},
    )


def test_signature_matches_aliyun_documented_example() -> None:
    assert sign(DOC_PARAMS, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert percent("a b*~/") == "a%20b%2A~%2F"


def test_sends_signed_requests_with_template_and_out_id(fake: FakeAliyunSms) -> None:
    a = fake.adapter()
    messages = [msg(1), msg(2, template_id="SMS_9", template_fields={"code": "42"})]
    results = asyncio.run(_send(a, messages))
    assert [r.ok for r in results] == [True, True]
    assert all(r.provider_message_id and r.provider_message_id.startswith("biz-") for r in results)
    by_out = {r["params"]["OutId"]: r["params"] for r in fake.requests}
    first = by_out[dedupe_id(messages[0].idempotency_key)]
    second = by_out[dedupe_id(messages[1].idempotency_key)]
    assert first["TemplateCode"] == "SMS_1"
    assert json.loads(first["TemplateParam"]) == {"content": "【优选】hi 1 回T退订"}
    assert second["TemplateCode"] == "SMS_9" and json.loads(second["TemplateParam"]) == {
        "code": "42"
    }
    assert first["PhoneNumbers"] == "+8613800000001" and first["SignName"] == "优选"


def test_wrong_secret_is_a_permanent_failure(fake: FakeAliyunSms) -> None:
    a = AliyunSmsAdapter(
        access_key_id="x",
        access_key_secret="wrong",
        sign_name="s",
        template_code="T",
        endpoint=fake.url,
    )
    [r] = asyncio.run(_send(a, [msg(1)]))
    assert not r.ok and not r.transient and "SignatureDoesNotMatch" in (r.error or "")
    assert fake.delivered == []


def test_faults_map_to_transient_or_permanent(fake: FakeAliyunSms) -> None:
    ms = [msg(i) for i in range(1, 6)]
    keys = [dedupe_id(m.idempotency_key) for m in ms]
    fake.faults.add(keys[0], "5xx")
    fake.faults.add(keys[1], "slow")
    fake.faults.add(keys[2], "429")
    fake.faults.add(keys[3], "permanent")
    results = asyncio.run(_send(fake.adapter(), ms))
    r5, slow, limited, bad, ok = results
    assert r5.transient and "ServiceUnavailable" in (r5.error or "")
    assert slow.transient and "timeout" in (slow.error or "")
    assert limited.transient and limited.retry_after == 1.0
    assert not bad.ok and not bad.transient and "isv.MOBILE_NUMBER_ILLEGAL" in (bad.error or "")
    assert ok.ok
    assert fake.delivered == [keys[4]]


def test_message_without_phone_fails_without_a_request(fake: FakeAliyunSms) -> None:
    m = msg(1)
    m.address = {}
    [r] = asyncio.run(_send(fake.adapter(), [m]))
    assert not r.ok and not r.transient and r.error == "no phone address"
    assert fake.requests == []


async def _send(a: AliyunSmsAdapter, messages: list[OutgoingMessage]) -> list:  # type: ignore[type-arg]
    try:
        return await a.send_batch(messages)
    finally:
        await a.aclose()


def test_timeout_after_acceptance_is_checked_not_resent(fake: FakeAliyunSms) -> None:
    a = fake.adapter()
    m = msg(1)
    fake.faults.add(dedupe_id(m.idempotency_key), "accept_slow")

    async def twice() -> list:  # type: ignore[type-arg]
        try:
            return await a.send_batch([m]) + await a.send_batch([m])
        finally:
            await a.aclose()

    first, retry = asyncio.run(twice())
    assert first.transient and first.error == "timeout: in doubt"
    assert retry.ok and retry.provider_message_id == f"out:{dedupe_id(m.idempotency_key)}"
    actions = [r["params"]["Action"] for r in fake.requests]
    assert actions == ["SendSms", "QuerySendDetails"]
    assert fake.counts() == {dedupe_id(m.idempotency_key): 1}


def test_in_doubt_message_not_found_is_sent_and_failed_query_is_not(fake: FakeAliyunSms) -> None:
    a = fake.adapter()
    m1, m2 = msg(1), msg(2)
    fake.faults.add(dedupe_id(m1.idempotency_key), "slow")  # dropped: never accepted
    fake.faults.add(dedupe_id(m2.idempotency_key), "accept_slow")
    fake.faults.add("query", "ok", "5xx")  # the second query fails

    async def run() -> list:  # type: ignore[type-arg]
        try:
            out = []
            for m in (m1, m1, m2, m2):
                out += await a.send_batch([m])
            return out
        finally:
            await a.aclose()

    t1, ok1, t2, blocked = asyncio.run(run())
    assert t1.error == "timeout: in doubt" and ok1.ok and t2.error == "timeout: in doubt"
    assert blocked.transient and "query failed" in (blocked.error or "")
    assert fake.counts() == {dedupe_id(m1.idempotency_key): 1, dedupe_id(m2.idempotency_key): 1}

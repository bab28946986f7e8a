"""WeCom customer-message adapter against the local fake over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from tests.dispatch.adapters.pipeline import DAY_TS, FAST, drain, rows
from tests.dispatch.factory import add_users, step
from tests.fakes.wecom import FakeWecom
from userops.dispatch.adapters.base import OutgoingMessage, SendResult
from userops.dispatch.adapters.wecom import WecomAdapter
from userops.dispatch.engine import enqueue
from userops.dispatch.models import MessageContent


@pytest.fixture
def fake() -> Iterator[FakeWecom]:
    server = FakeWecom().start()
    yield server
    server.stop()


def msg(i: int, text: str = "专属顾问为您服务") -> OutgoingMessage:
    return OutgoingMessage(
        f"c1|s1|{i}|wecom", i, "wecom", "c1", {"body": text}, {"wechat_unionid": f"wm{i}"}
    )


def adapter(fake: FakeWecom) -> WecomAdapter:
    return WecomAdapter(
        corpid=fake.appid,
        corpsecret=fake.secret,
        sender="advisor1",
        endpoint=fake.url,
        timeout=0.5,
    )


async def _send(a: WecomAdapter, ms: list[OutgoingMessage]) -> list[SendResult]:
    try:
        return await a.send_batch(ms)
    finally:
        await a.aclose()


def test_one_call_per_text_and_fail_list_is_a_partial_failure(fake: FakeWecom) -> None:
    ms = [msg(1), msg(2), msg(3, "另一段文案"), msg(4)]
    fake.faults.always["wm2"] = "permanent"
    results = asyncio.run(_send(adapter(fake), ms))
    assert [r.ok for r in results] == [True, False, True, True]
    assert results[1].error == "wecom fail_list" and not results[1].transient
    assert len(fake.requests) == 2
    bodies = sorted((r["body"] for r in fake.requests), key=lambda b: len(b["external_userid"]))
    assert bodies[0]["external_userid"] == ["wm3"] and bodies[0]["text"] == {
        "content": "另一段文案"
    }
    assert (
        bodies[1]["external_userid"] == ["wm1", "wm2", "wm4"] and bodies[1]["sender"] == "advisor1"
    )
    assert fake.counts() == {"wm1": 1, "wm3": 1, "wm4": 1}


def test_call_level_faults_fail_the_group_transiently(fake: FakeWecom) -> None:
    fake.faults.next.extend(["5xx", "slow", "429"])
    a = adapter(fake)

    async def three() -> list[list[SendResult]]:
        try:
            return [await a.send_batch([msg(1), msg(2)]) for _ in range(4)]
        finally:
            await a.aclose()

    gateway, slow, limited, ok = asyncio.run(three())
    assert all(r.transient and r.error == "http 502" for r in gateway)
    assert all(r.transient and r.error == "timeout" for r in slow)
    assert all(r.transient and r.retry_after == 1.0 and "45033" in (r.error or "") for r in limited)
    assert all(r.ok for r in ok)
    assert fake.counts() == {"wm1": 1, "wm2": 1}


def test_expired_token_refreshed_and_missing_address(fake: FakeWecom) -> None:
    a = adapter(fake)
    no_addr = OutgoingMessage("c1|s1|9|wecom", 9, "wecom", "c1", {"body": "x"}, {})

    async def scenario() -> list[SendResult]:
        try:
            await a.send_batch([msg(1)])
            fake.expire_tokens()
            return await a.send_batch([msg(2), no_addr])
        finally:
            await a.aclose()

    ok, missing = asyncio.run(scenario())
    assert ok.ok and len(fake.tokens_issued) == 2
    assert not missing.ok and not missing.transient and missing.error == "no wecom address"


def test_partial_batch_failure_through_the_worker(sqlite_engine: Engine, fake: FakeWecom) -> None:
    users = add_users(sqlite_engine, 5, consent=("wecom",))
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE users SET wechat_unionid = 'wm' || id"))
    content = MessageContent(
        variant_id="w1", channel="wecom", body="专属顾问为您服务"
    )  # one text: one call
    s = step(users, channel="wecom", contents={"w1": content})
    enqueue(sqlite_engine, s, policy=FAST, now_ts=DAY_TS)
    fake.faults.next.extend(["5xx", "slow"])  # the first two calls fail for everyone in them
    fake.faults.always["wm3"] = "permanent"  # not this advisor's customer: in fail_list
    stats = drain(sqlite_engine, {"wecom": adapter(fake)})
    state = rows(sqlite_engine)
    assert {u: state[u][0] for u in users} == {
        1: "sent",
        2: "sent",
        3: "failed",
        4: "sent",
        5: "sent",
    }
    assert state[3][1] == "wecom fail_list"
    assert fake.counts() == {"wm1": 1, "wm2": 1, "wm4": 1, "wm5": 1}
    assert fake.modes["5xx"] == 1 and fake.modes["slow"] == 1 and stats["sent"] == 4
    assert len(fake.requests) == 3 and all(
        len(r["body"]["external_userid"]) == 5 for r in fake.requests
    )
    assert state[1][2] == 2  # two failed hand-overs, then sent in the third call

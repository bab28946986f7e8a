"""AI outbound-call adapter against the local fake, and the result callback as an event."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from tests.dispatch.adapters.pipeline import DAY_TS, drain, enqueue_step, rows
from tests.dispatch.factory import add_users
from tests.fakes.voice import FakeVoice
from userops.dispatch.adapters.base import OutgoingMessage, SendResult
from userops.dispatch.adapters.voice_call import VoiceCallAdapter
from userops.dispatch.call_callback import record_call_outcome
from userops.dispatch.models import CallScript, MessageContent
from userops.dispatch.outbox import idempotency_key
from userops.errors import BadInput

SCRIPT = {
    "opening": "您好，我是优选的顾问",
    "branches": [
        {"intent": "interested", "user_says": "可以介绍下", "reply": "好的"},
        {"intent": "not_now", "user_says": "没空", "reply": "打扰了"},
    ],
    "close": "祝您愉快",
}


@pytest.fixture
def fake() -> Iterator[FakeVoice]:
    server = FakeVoice().start()
    yield server
    server.stop()


def msg(i: int) -> OutgoingMessage:
    return OutgoingMessage(
        f"c1|s1|{i}|voice_call",
        i,
        "voice_call",
        "c1",
        {"script": SCRIPT},
        {"phone": f"+86138{i:08d}"},
    )


def adapter(fake: FakeVoice) -> VoiceCallAdapter:
    return VoiceCallAdapter(
        endpoint=fake.url,
        api_key=fake.api_key,
        callback_url="https://ops.example.com/calls/callback",
        timeout=0.5,
    )


async def _send(a: VoiceCallAdapter, ms: list[OutgoingMessage]) -> list[SendResult]:
    try:
        return await a.send_batch(ms)
    finally:
        await a.aclose()


def test_task_submission_and_faults(fake: FakeVoice) -> None:
    ms = [msg(i) for i in range(1, 5)]
    for m, mode in zip(ms[1:], ("5xx", "429", "permanent"), strict=True):
        fake.faults.add(m.idempotency_key, mode)
    ok, down, busy, dnc = asyncio.run(_send(adapter(fake), ms))
    assert ok.ok and ok.provider_message_id == "c1|s1|1|voice_call"
    assert down.transient and busy.transient and busy.retry_after == 1.0
    assert not dnc.transient and dnc.error == "http 422"
    task = fake.tasks["c1|s1|1|voice_call"]
    assert task["script"] == SCRIPT and task["phone"] == "+8613800000001"
    assert task["metadata"] == {"campaign_id": "c1", "user_id": 1}


def test_retry_of_a_submitted_task_places_no_second_call(fake: FakeVoice) -> None:
    a = adapter(fake)

    async def twice() -> list[SendResult]:
        try:
            return await a.send_batch([msg(1)]) + await a.send_batch([msg(1)])
        finally:
            await a.aclose()

    first, again = asyncio.run(twice())
    assert first.ok and again.ok
    assert len(fake.requests) == 2 and fake.counts() == {"c1|s1|1|voice_call": 1}


def test_callback_becomes_one_call_outcome_event(any_engine: Engine, fake: FakeVoice) -> None:
    add_users(any_engine, 1, consent=("voice_call",))
    [r] = asyncio.run(_send(adapter(fake), [msg(1)]))
    payload = fake.complete(r.idempotency_key, "interested", ["wants_tutorial"], 1779937200)
    eid = record_call_outcome(any_engine, payload)
    assert record_call_outcome(any_engine, payload) == eid  # delivered twice: one event
    with any_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, user_id, type, channel, campaign_id, ts, properties FROM events")
        ).all()
    assert len(rows) == 1
    row = rows[0]
    assert row[:6] == (eid, 1, "call_outcome", "voice_call", "c1", 1779937200)
    props = row[6] if isinstance(row[6], dict) else json.loads(row[6])
    assert props["intent"] == "interested" and props["tags"] == ["wants_tutorial"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"task_id": ""}, "task_id"),
        ({"status": "exploded"}, "status"),
        ({"tags": "vip"}, "tags"),
        ({"metadata": {"campaign_id": "c1"}}, "metadata.user_id"),
        ({"metadata": {"user_id": 999}}, "metadata.user_id"),
    ],
)
def test_bad_callback_names_the_field_and_writes_nothing(
    sqlite_engine: Engine, change: dict[str, object], field: str
) -> None:
    add_users(sqlite_engine, 1, consent=())
    payload = {
        "task_id": "c1|s1|1|voice_call",
        "status": "completed",
        "intent": "interested",
        "tags": [],
        "ended_at": 1779937200,
        "metadata": {"user_id": 1, "campaign_id": "c1"},
    } | change
    with pytest.raises(BadInput) as err:
        record_call_outcome(sqlite_engine, payload)
    assert f"{field}=" in str(err.value)
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM events")).scalar_one() == 0


def test_timeout_after_acceptance_then_retry_places_one_call(fake: FakeVoice) -> None:
    a = adapter(fake)
    m = msg(1)
    fake.faults.add(m.idempotency_key, "accept_slow")

    async def twice() -> list[SendResult]:
        try:
            return await a.send_batch([m]) + await a.send_batch([m])
        finally:
            await a.aclose()

    first, retry = asyncio.run(twice())
    assert first.transient and "timeout" in (first.error or "") and retry.ok
    assert fake.counts() == {m.idempotency_key: 1}  # the provider answered 409 to the retry


def test_call_step_through_the_worker_and_back_as_events(
    sqlite_engine: Engine, fake: FakeVoice
) -> None:
    content = MessageContent(
        variant_id="call1",
        channel="voice_call",
        script=CallScript.model_validate({**SCRIPT, "opening": "{name}您好，我是优选的顾问"}),
    )
    users = enqueue_step(sqlite_engine, 3, "voice_call", content)
    fake.faults.add(idempotency_key("c1", "s1", 2, "voice_call"), "5xx", "accept_slow")
    drain(sqlite_engine, {"voice_call": adapter(fake)})
    assert {rows(sqlite_engine)[u][0] for u in users} == {"sent"}
    assert set(fake.counts().values()) == {1} and len(fake.tasks) == 3
    assert fake.tasks["c1|s1|1|voice_call"]["script"]["opening"] == "用户1您好，我是优选的顾问"
    for u, intent in zip(users, ("interested", "not_now", "interested"), strict=True):
        payload = fake.complete(idempotency_key("c1", "s1", u, "voice_call"), intent, [], DAY_TS)
        record_call_outcome(sqlite_engine, payload)
    with sqlite_engine.connect() as conn:
        got = conn.execute(
            text("SELECT user_id, campaign_id FROM events WHERE type = 'call_outcome'")
        ).all()
    assert sorted(got) == [(1, "c1"), (2, "c1"), (3, "c1")]

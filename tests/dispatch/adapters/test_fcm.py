"""FCM v1 adapter against the local fake over real HTTP, alone and through the worker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from tests.dispatch.adapters.pipeline import DAY_TS, FAST, drain, enqueue_step, rows
from tests.dispatch.factory import push, step
from tests.fakes.fcm import FakeFcm
from userops.dispatch.adapters.base import OutgoingMessage, SendResult
from userops.dispatch.adapters.fcm import FcmAdapter, static_token
from userops.dispatch.engine import enqueue
from userops.dispatch.feedback.record import value_hash
from userops.dispatch.outbox import idempotency_key


@pytest.fixture
def fake() -> Iterator[FakeFcm]:
    server = FakeFcm().start()
    yield server
    server.stop()


def adapter(fake: FakeFcm, token: str = "tok-1") -> FcmAdapter:
    return FcmAdapter(
        project_id=fake.project, token_provider=static_token(token), endpoint=fake.url, timeout=0.5
    )


def msg(i: int) -> OutgoingMessage:
    return OutgoingMessage(
        f"c1|s1|{i}|app_push",
        i,
        "app_push",
        "c1",
        {"title": "新教程", "body": f"hi {i}", "url": "app://t/1"},
        {"device_id": f"dev{i}"},
    )


async def _send(a: FcmAdapter, ms: list[OutgoingMessage]) -> list[SendResult]:
    try:
        return await a.send_batch(ms)
    finally:
        await a.aclose()


def test_request_shape_and_answers(fake: FakeFcm) -> None:
    ms = [msg(i) for i in range(1, 5)]
    fake.faults.add(ms[1].idempotency_key, "429")
    fake.faults.add(ms[2].idempotency_key, "permanent")
    fake.faults.add(ms[3].idempotency_key, "slow")
    ok, limited, gone, slow = asyncio.run(_send(adapter(fake), ms))
    assert ok.ok and (ok.provider_message_id or "").startswith("projects/demo/messages/")
    assert limited.transient and limited.retry_after == 0.05
    assert not gone.ok and not gone.transient and gone.error == "fcm UNREGISTERED"
    assert slow.transient and "timeout" in (slow.error or "")
    first = next(r for r in fake.requests if r["body"]["message"]["token"] == "dev1")
    message = first["body"]["message"]
    assert message["notification"] == {"title": "新教程", "body": "hi 1"}
    assert message["data"] == {
        "idempotency_key": "c1|s1|1|app_push",
        "campaign_id": "c1",
        "url": "app://t/1",
    }
    assert first["auth"] == "Bearer tok-1"
    assert fake.counts() == {"c1|s1|1|app_push": 1}


def test_expired_token_is_refreshed_once(fake: FakeFcm) -> None:
    calls: list[bool] = []

    async def provider(force: bool) -> str:
        calls.append(force)
        return "tok-1" if force else "stale"

    a = FcmAdapter(project_id="demo", token_provider=provider, endpoint=fake.url)
    [r] = asyncio.run(_send(a, [msg(1)]))
    assert r.ok and calls == [False, True]
    bad = FcmAdapter(project_id="demo", token_provider=static_token("nope"), endpoint=fake.url)
    [r] = asyncio.run(_send(bad, [msg(2)]))
    assert (
        r.transient
        and r.error == "fcm UNAUTHENTICATED"
        and fake.counts() == {msg(1).idempotency_key: 1}
    )


def test_push_faults_through_the_worker(sqlite_engine: Engine, fake: FakeFcm) -> None:
    users = enqueue_step(sqlite_engine, 8, "app_push", push())
    key = {u: idempotency_key("c1", "s1", u, "app_push") for u in users}
    fake.faults.next.extend(["5xx", "5xx", "5xx"])
    fake.faults.add(key[2], "slow")
    fake.faults.add(key[3], "429", "5xx", "5xx")  # fails a whole pass, sent on the next
    fake.faults.always[key[4]] = "permanent"  # device unregistered
    fake.faults.always[key[5]] = "5xx"
    stats = drain(sqlite_engine, {"app_push": adapter(fake)})
    state = rows(sqlite_engine)
    sent = [u for u in users if u not in (4, 5)]
    assert {u: state[u][0] for u in users} == {u: "sent" for u in sent} | {4: "failed", 5: "dead"}
    assert state[4][1] == "fcm UNREGISTERED" and state[5][1] and "503" in state[5][1]
    assert state[3][2] == 2  # two failed hand-overs before the third try went through
    assert fake.counts() == {key[u]: 1 for u in sent}
    asked = [r["body"]["message"]["data"]["idempotency_key"] for r in fake.requests]
    assert asked.count(key[5]) == 4 and asked.count(key[4]) == 1 and asked.count(key[3]) == 4
    assert stats["sent"] == len(sent)


def test_timeout_after_acceptance_repeats_under_the_same_collapse_id(fake: FakeFcm) -> None:
    """The documented gap: FCM cannot be asked whether it took a message, so a retry after
    an in-doubt timeout sends again — with the same collapse id, so the device replaces the
    first notification instead of showing two."""
    a = adapter(fake)
    m = msg(1)
    fake.faults.add(m.idempotency_key, "accept_slow")

    async def twice() -> list[SendResult]:
        try:
            return await a.send_batch([m]) + await a.send_batch([m])
        finally:
            await a.aclose()

    first, retry = asyncio.run(twice())
    assert first.transient and retry.ok
    assert fake.counts() == {m.idempotency_key: 2}
    collapse = {r["body"]["message"]["android"]["collapse_key"] for r in fake.requests}
    apns = {r["body"]["message"]["apns"]["headers"]["apns-collapse-id"] for r in fake.requests}
    assert len(collapse) == 1 and collapse == apns


def test_unregistered_token_is_cleared_and_the_next_push_is_unreachable(
    any_engine: Engine, fake: FakeFcm
) -> None:
    """FCM's 404 UNREGISTERED send result clears the token, as the push callback does; it
    used to fail the row only, and every later push to that user failed the same way."""
    users = enqueue_step(any_engine, 3, "app_push", push())
    with any_engine.begin() as conn:
        conn.execute(text("INSERT INTO identities (user_id, kind, value) VALUES (2, 'device_id',"
                          " 'dev2'), (3, 'device_id', 'dev3')"))  # fmt: skip
    fake.faults.always[idempotency_key("c1", "s1", 2, "app_push")] = "permanent"
    stats = drain(any_engine, {"app_push": adapter(fake)})
    assert {u: s[:2] for u, s in rows(any_engine).items()} == {
        1: ("sent", None), 2: ("failed", "fcm UNREGISTERED"), 3: ("sent", None)
    }  # fmt: skip
    assert stats["contacts_invalidated"] == 1
    with any_engine.connect() as conn:
        devices = dict(conn.execute(text("SELECT id, device_id FROM users")).all())
        ids = conn.execute(text("SELECT user_id, value FROM identities")).all()
        audit = conn.execute(
            text("SELECT actor, entity_id, detail FROM audit WHERE action = 'contact.invalidated'")
        ).all()
    assert devices == {1: "dev1", 2: None, 3: "dev3"} and [tuple(r) for r in ids] == [(3, "dev3")]
    [(actor, entity, detail)] = audit
    detail = detail if isinstance(detail, dict) else json.loads(detail)
    assert (actor, entity) == ("feedback:send:app_push", "2")
    assert detail == {"kind": "device_id", "value_sha256": value_hash("dev2"),
                      "reason": "fcm UNREGISTERED"}  # fmt: skip
    enqueue(any_engine, step(users, campaign="c2", channel="app_push", contents={"p1": push()}),
            policy=FAST, now_ts=DAY_TS + 86400)  # fmt: skip
    with any_engine.connect() as conn:
        nxt = conn.execute(
            text("SELECT user_id, state, reason FROM outbox WHERE campaign_id = 'c2'")
        ).all()
    assert {int(r[0]): (r[1], r[2]) for r in nxt} == {
        1: ("pending", None), 2: ("suppressed", "unreachable"), 3: ("pending", None)
    }  # fmt: skip

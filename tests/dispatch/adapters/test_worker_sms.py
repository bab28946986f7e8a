"""Outbox worker + Aliyun SMS adapter + local fake: faults retried, dead-lettered, never doubled."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.dispatch.adapters.pipeline import drain, enqueue_step, rows
from tests.dispatch.factory import sms
from tests.fakes.aliyun import FakeAliyunSms
from userops.dispatch.adapters._http import dedupe_id
from userops.dispatch.outbox import idempotency_key


@pytest.fixture
def fake() -> Iterator[FakeAliyunSms]:
    server = FakeAliyunSms().start()
    yield server
    server.stop()


def test_faults_through_the_worker(any_engine: Engine, fake: FakeAliyunSms) -> None:
    users = enqueue_step(any_engine, 7, "sms", sms())
    out = {u: dedupe_id(idempotency_key("c1", "s1", u, "sms")) for u in users}
    fake.faults.next.extend(["5xx", "5xx"])  # the first two requests, whoever they are
    fake.faults.add(out[3], "slow")  # times out once
    fake.faults.add(out[4], "429", "429")  # throttled twice
    fake.faults.always[out[5]] = "permanent"  # invalid number
    fake.faults.always[out[6]] = "5xx"  # provider never recovers for this one
    fake.faults.add(out[7], "accept_slow")  # accepted, answer too late: in doubt
    adapter = fake.adapter()
    stats = drain(any_engine, {"sms": adapter})

    state = rows(any_engine)
    assert {u: state[u][0] for u in users} == {
        1: "sent",
        2: "sent",
        3: "sent",
        4: "sent",
        5: "failed",
        6: "dead",
        7: "sent",
    }
    assert "isv.MOBILE_NUMBER_ILLEGAL" in (state[5][1] or "") and state[5][2] == 1
    assert "ServiceUnavailable" in (state[6][1] or "") and state[6][2] == 4
    assert all((state[u][3] or "").startswith("biz-") for u in (1, 2, 3, 4))
    # every key delivered at most once, the sent ones exactly once
    counts = fake.counts()
    assert counts == {out[u]: 1 for u in (1, 2, 3, 4, 7)}
    asked = [r["params"].get("OutId") for r in fake.requests]
    assert asked.count(out[7]) == 1 and state[7][3] == f"out:{out[7]}"  # checked, not re-sent
    assert asked.count(out[6]) == 4 and asked.count(out[5]) == 1
    assert asked.count(out[3]) == 2 and asked.count(out[4]) == 3
    assert fake.modes["slow"] == 1 and fake.modes["429"] == 2 and fake.modes["5xx"] >= 6
    assert stats["sent"] == 5 and stats["failed"] == 1 and stats["dead"] == 1


def test_two_workers_one_provider_each_key_once(any_engine: Engine, fake: FakeAliyunSms) -> None:
    users = enqueue_step(any_engine, 120, "sms", sms())
    fake.faults.next.extend(["5xx"] * 10 + ["429"] * 2)

    sent: list[int] = []

    def work() -> None:
        adapter = fake.adapter(max_batch=10, timeout=10.0)
        sent.append(drain(any_engine, {"sms": adapter}, batch_size=10)["sent"])

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state = rows(any_engine)
    assert {state[u][0] for u in users} == {"sent"}
    counts = fake.counts()
    assert len(counts) == 120 and set(counts.values()) == {1}
    assert fake.modes["5xx"] == 10 and fake.modes["429"] == 2
    assert sum(sent) == 120 and min(sent) > 0  # both workers took part

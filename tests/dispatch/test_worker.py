"""Worker: retries on transient errors only, dead letters, concurrency, PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, text

from tests.dispatch.doubles import RecordingAdapter
from tests.dispatch.factory import add_users, deliveries, outbox_rows, step
from userops.dispatch.adapters.base import OutgoingMessage, SendResult
from userops.dispatch.engine import enqueue
from userops.dispatch.outbox import status
from userops.dispatch.policy import Policy
from userops.dispatch.sandbox import SandboxAdapter
from userops.dispatch.worker import Worker

DAY_TS = 1779933600
FAST = Policy.with_overrides(
    {
        "retry": {
            "max_attempts": 4,
            "initial_seconds": 0.001,
            "max_seconds": 0.01,
            "in_process_tries": 2,
        }
    }
)


def test_transient_failures_are_retried_until_sent(sqlite_engine: Engine) -> None:
    users = add_users(sqlite_engine, 3, consent=("sms",))
    enqueue(sqlite_engine, step(users), policy=FAST, now_ts=DAY_TS)

    def flaky(call: int, m: OutgoingMessage) -> SendResult | None:
        if call == 1 and m.user_id == 2:
            return SendResult(m.idempotency_key, False, transient=True, error="503")
        return None

    adapter = RecordingAdapter("sms", flaky)
    stats = Worker(sqlite_engine, {"sms": adapter}, policy=FAST, clock=lambda: DAY_TS).run()
    assert sorted(m.user_id for m in adapter.seen) == [1, 2, 3]
    assert adapter.calls == 2 and stats["sent"] == 3
    assert status(sqlite_engine)["by_state"] == {"sent": 3}


def test_permanent_failure_is_not_retried(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 1, consent=("sms",))
    enqueue(sqlite_engine, step([1]), policy=FAST, now_ts=DAY_TS)
    adapter = RecordingAdapter(
        "sms", lambda c, m: SendResult(m.idempotency_key, False, error="invalid number")
    )
    Worker(sqlite_engine, {"sms": adapter}, policy=FAST, clock=lambda: DAY_TS).run()
    assert adapter.calls == 1
    assert outbox_rows(sqlite_engine)[0][2:4] == ("failed", "invalid number")


def test_always_transient_goes_dead_after_max_attempts(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 1, consent=("sms",))
    enqueue(sqlite_engine, step([1]), policy=FAST, now_ts=DAY_TS)

    def down(call: int, m: OutgoingMessage) -> SendResult:
        raise ConnectionError("provider down")

    adapter = RecordingAdapter("sms", down)
    clock = [DAY_TS]
    for _ in range(5):
        Worker(sqlite_engine, {"sms": adapter}, policy=FAST, clock=lambda: clock[0]).run()
        clock[0] += 120
    row = outbox_rows(sqlite_engine)[0]
    assert row[2] == "dead" and "provider down" in row[3]
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT attempts FROM outbox")).scalar_one() == 4
    assert adapter.calls == 4 and adapter.seen == []


def test_two_workers_never_deliver_twice(sqlite_engine: Engine) -> None:
    users = add_users(sqlite_engine, 3000, consent=("sms",))
    enqueue(sqlite_engine, step(users), policy=FAST, now_ts=DAY_TS)
    policy = FAST.model_copy(update={"batch_size": 100})
    workers = [
        Worker(
            sqlite_engine,
            {"sms": SandboxAdapter(sqlite_engine, "sms", max_batch=50)},
            policy=policy,
            clock=lambda: DAY_TS,
            fallbacks=False,
        )
        for _ in range(2)
    ]
    threads = [threading.Thread(target=w.run) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keys = [d[0] for d in deliveries(sqlite_engine)]
    assert len(keys) == len(set(keys)) == 3000
    assert all(w.stats["sent"] > 0 for w in workers)


def test_expired_lease_is_reclaimed_without_a_second_delivery(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 2, consent=("sms",))
    enqueue(sqlite_engine, step([1, 2]), policy=FAST, now_ts=DAY_TS)
    sandbox = SandboxAdapter(sqlite_engine, "sms")
    with sqlite_engine.begin() as conn:  # a worker delivered user 1 and died before marking it
        from userops.dispatch.outbox import claim

        rows = claim(conn, owner="dead", now=DAY_TS, lease_s=60, limit=10)
        msg = OutgoingMessage(rows[0].key, 1, "sms", "c1", {"body": "x"})
        sandbox.record(conn, [msg], DAY_TS)
    w = Worker(sqlite_engine, {"sms": sandbox}, policy=FAST, clock=lambda: DAY_TS + 30)
    assert w.run()["claimed"] == 0  # lease still held
    Worker(sqlite_engine, {"sms": sandbox}, policy=FAST, clock=lambda: DAY_TS + 61).run()
    keys = [d[0] for d in deliveries(sqlite_engine)]
    assert sorted(keys) == ["c1|s1|1|sms", "c1|s1|2|sms"]
    assert status(sqlite_engine)["by_state"] == {"sent": 2}


def test_enqueue_and_worker_on_postgresql(pg_engine: Engine) -> None:
    users = add_users(pg_engine, 500, consent=("sms",))
    r = enqueue(
        pg_engine, step(users, holdout=users[:10], budget=100.0), policy=FAST, now_ts=DAY_TS
    )
    assert (r.pending, r.suppressed) == (490, {"holdout": 10})
    policy = FAST.model_copy(update={"batch_size": 60})
    workers = [
        Worker(pg_engine, None, policy=policy, clock=lambda: DAY_TS, fallbacks=False)
        for _ in range(2)
    ]
    threads = [threading.Thread(target=w.run) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keys = [d[0] for d in deliveries(pg_engine)]
    assert len(keys) == len(set(keys)) == 490
    assert status(pg_engine)["by_state"] == {"sent": 490}
    with pg_engine.connect() as conn:
        spent = conn.execute(text("SELECT spent FROM campaigns WHERE id = 'c1'")).scalar_one()
    assert round(spent, 6) == round(490 * 0.05, 6)


def test_retry_after_is_honoured(sqlite_engine: Engine) -> None:
    import time

    add_users(sqlite_engine, 1, consent=("sms",))
    enqueue(sqlite_engine, step([1]), policy=FAST, now_ts=DAY_TS)

    def limited(call: int, m: OutgoingMessage) -> SendResult | None:
        if call == 1:
            return SendResult(
                m.idempotency_key, False, transient=True, error="429", retry_after=0.3
            )
        return None

    adapter = RecordingAdapter("sms", limited)
    t0 = time.monotonic()
    Worker(sqlite_engine, {"sms": adapter}, policy=FAST, clock=lambda: DAY_TS).run()
    assert time.monotonic() - t0 >= 0.3
    assert adapter.calls == 2 and len(adapter.seen) == 1

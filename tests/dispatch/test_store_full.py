"""A worker rides out a full disk: it backs off, retries and resumes without a restart."""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, text

from tests.dispatch.factory import add_users, step
from userops.dispatch.adapters.base import OutgoingMessage, SendResult
from userops.dispatch.engine import enqueue
from userops.dispatch.policy import Policy
from userops.dispatch.sandbox import SandboxAdapter
from userops.dispatch.worker import Worker

POLICY = Policy.load()
T0 = 1779933600  # 10:00 in Shanghai


class FullDisk(SandboxAdapter):
    """The sandbox, but its write fails as a full disk does, ``failures`` times."""

    def __init__(self, engine: Engine, failures: int) -> None:
        super().__init__(engine, "sms")
        self.failures = failures

    def record(
        self, conn: Connection, messages: list[OutgoingMessage], now: int
    ) -> list[SendResult]:
        if self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError("database or disk is full")
        return super().record(conn, messages, now)


def _outbox(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT state, count(*) FROM outbox GROUP BY state")).all())


def _deliveries(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        q = "SELECT count(*), count(DISTINCT idempotency_key) FROM deliveries"
        row = conn.execute(text(q)).one()
    return int(row[0]), int(row[1])


def test_failed_writes_back_off_and_the_leased_rows_are_taken_back(sqlite_engine: Engine) -> None:
    """Before: the first failure ended the worker with a traceback (a restart needed), and
    its batch stayed leased for ``lease_seconds``."""
    users = add_users(sqlite_engine, 120, consent=("sms",))
    enqueue(sqlite_engine, step(users), policy=POLICY, now_ts=T0)
    adapter = FullDisk(sqlite_engine, failures=3)
    worker = Worker(sqlite_engine, {"sms": adapter}, policy=POLICY, clock=lambda: T0, batch_size=50)
    t0 = time.monotonic()
    stats = worker.run(store_retries=None, idle_sleep=0.01)
    assert time.monotonic() - t0 < 5  # no wait for the lease (120 s) to end
    assert stats["store_errors"] == 3 and stats["sent"] == 120
    assert _outbox(sqlite_engine) == {"sent": 120}
    assert _deliveries(sqlite_engine) == (120, 120)


def test_bounded_retries_give_up_with_the_store_error(sqlite_engine: Engine) -> None:
    users = add_users(sqlite_engine, 10, consent=("sms",))
    enqueue(sqlite_engine, step(users), policy=POLICY, now_ts=T0)
    worker = Worker(
        sqlite_engine, {"sms": FullDisk(sqlite_engine, 5)}, policy=POLICY, clock=lambda: T0
    )
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        worker.run(store_retries=2, idle_sleep=0.01)
    assert worker.stats["store_errors"] == 2


def test_a_store_that_cannot_grow_resumes_once_it_can(sqlite_engine: Engine) -> None:
    """A real SQLITE_FULL: the store may not grow by a page (as on a full disk) until freed."""
    users = add_users(sqlite_engine, 300, consent=("sms",))
    enqueue(sqlite_engine, step(users), policy=POLICY, now_ts=T0)
    room: dict[str, Any] = {"pages": 1}  # clamped to the pages the file has now

    @event.listens_for(sqlite_engine, "checkout")
    def _limit(dbapi_conn: Any, _rec: Any, _proxy: Any) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count = {room['pages']}")

    sqlite_engine.dispose()  # every connection from now on gets the limit
    worker = Worker(sqlite_engine, None, policy=POLICY, clock=lambda: T0, batch_size=100)
    done: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: done.update(stats=worker.run(store_retries=None, idle_sleep=0.01))
    )
    thread.start()
    deadline = time.monotonic() + 10
    while worker.stats["store_errors"] < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.stats["store_errors"] >= 2 and worker.stats["sent"] < 300
    room["pages"] = 4294967294  # space freed: the same worker goes on
    thread.join(30)
    assert not thread.is_alive() and done["stats"]["sent"] == 300
    assert _outbox(sqlite_engine) == {"sent": 300}
    assert _deliveries(sqlite_engine) == (300, 300)

"""Workers SIGKILLed again and again during a journey: no duplicate, none lost or stuck."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.dispatch.factory import add_users
from tests.journeys.support import SMS, live, spec
from tests.journeys.worker_proc import main as worker_main
from userops.store.engine import make_engine, upgrade

NODES = [
    {
        "kind": "send",
        "id": "hello",
        "channels": ["sms"],
        "variants": [{"variant_id": "w1", "channel": "sms", "body": SMS}],
        "next": "done",
    },
    {"kind": "exit", "id": "done"},
]


class _Worker:
    """A worker process forked from this one (already imported): SIGKILL it, wait for it."""

    def __init__(self, url: str) -> None:
        ctx = multiprocessing.get_context("fork")
        started = ctx.Event()
        self.proc = ctx.Process(target=_work, args=(url, started), daemon=True)
        self.proc.start()
        assert started.wait(120), "the worker did not start"
        self.pid = int(self.proc.pid or 0)

    def poll(self) -> int | None:
        return self.proc.exitcode

    def wait(self, timeout: float | None = None) -> int | None:
        self.proc.join(timeout)
        return self.proc.exitcode


def _work(url: str, started: Any) -> None:
    sys.exit(worker_main(url, ready=started.set))


def _spawn(url: str, engine: Engine) -> _Worker:
    engine.dispose()  # no pooled connection is carried into the child
    return _Worker(url)


def _one(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def _setup(engine: Engine, n: int) -> None:
    add_users(engine, n, consent=("sms",))
    live(engine, spec(nodes=NODES), now=int(time.time()))
    body = json.dumps({"event": "Signed Up"})
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO events (user_id, type, ts, properties) VALUES (:u, 'custom', :t, :p)"
            ),
            [{"u": u, "t": int(time.time()), "p": body} for u in range(1, n + 1)],
        )


def _check(engine: Engine, n: int) -> None:
    assert _one(engine, "SELECT count(*) FROM deliveries") == n  # none twice
    assert _one(engine, "SELECT count(DISTINCT user_id) FROM deliveries") == n  # none lost
    assert _one(engine, "SELECT count(*) FROM outbox WHERE state = 'sent'") == n
    assert _one(engine, "SELECT count(*) FROM outbox") == n
    with engine.connect() as conn:
        states = conn.execute(
            text("SELECT state, exit_reason, count(*) FROM journey_members GROUP BY 1, 2")
        ).all()
    assert [tuple(s) for s in states] == [("exited", "completed", n)]  # none stuck
    assert _one(engine, "SELECT count(*) FROM journey_steps_done") == 2 * n
    assert _one(engine, "SELECT count(*) FROM journey_members WHERE lease_owner IS NOT NULL") == 0


@pytest.mark.slow
def test_sigkill_during_a_100k_user_journey_on_sqlite(tmp_path: Path) -> None:
    n = 100_000
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    engine = make_engine(url)
    upgrade(engine)
    _setup(engine, n)
    rng = random.Random(16)
    kills, progress = 0, []
    while kills < 8:
        proc = _spawn(url, engine)
        time.sleep(rng.uniform(1.0, 4.0))
        if proc.poll() is not None:
            break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
        progress.append(_one(engine, "SELECT count(*) FROM deliveries"))
    print("kills", kills, "delivered after each", progress)
    assert kills >= 5 and progress[0] < n
    assert _spawn(url, engine).wait(timeout=600) == 0
    _check(engine, n)
    engine.dispose()


@pytest.mark.pg
@pytest.mark.slow
def test_two_workers_and_sigkill_on_postgresql(pg_url: str) -> None:
    n = 20_000
    engine = make_engine(pg_url)
    upgrade(engine)
    _setup(engine, n)
    rng = random.Random(5)
    procs = [_spawn(pg_url, engine), _spawn(pg_url, engine)]
    kills = 0
    delivered = "SELECT count(*) FROM deliveries"
    while kills < 4 and _one(engine, delivered) < n:
        time.sleep(rng.uniform(0.1, 0.5))
        i = rng.randrange(2)
        if procs[i].poll() is None:
            os.kill(procs[i].pid, signal.SIGKILL)
            procs[i].wait()
            kills += 1
            procs[i] = _spawn(pg_url, engine)
    for p in procs:
        assert p.wait(timeout=300) == 0
    assert kills >= 1
    _check(engine, n)
    engine.dispose()

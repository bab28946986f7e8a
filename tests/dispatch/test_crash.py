"""Exactly once under SIGKILL: a worker process killed at random moments, then restarted."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.dispatch.factory import add_users, step
from tests.dispatch.worker_proc import CRASH_POLICY
from userops.dispatch.engine import enqueue
from userops.dispatch.policy import Policy
from userops.store.engine import make_engine, upgrade

N = 20_000
ROOT = Path(__file__).resolve().parents[2]


def _spawn(db: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("worker_proc.py")), str(db)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _delivered(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM deliveries")).scalar_one())


@pytest.mark.slow
def test_sigkill_at_random_moments_delivers_each_message_exactly_once(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    users = add_users(engine, N, consent=("sms",))
    policy = Policy.with_overrides(CRASH_POLICY)
    res = enqueue(engine, step(users, campaign="crash"), policy=policy)
    assert res.pending == N
    rng = random.Random(7)
    kills = 0
    progress = []
    while kills < 8 and _delivered(engine) < N:
        proc = _spawn(db)
        time.sleep(rng.uniform(0.15, 0.9))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
        progress.append(_delivered(engine))
    print("kills", kills, "delivered after each kill", progress)
    assert kills >= 5, f"only {kills} kills landed ({progress})"
    assert progress[0] < N  # the first kill landed before the work was done
    final = _spawn(db)
    assert final.wait(timeout=120) == 0
    with engine.connect() as conn:
        dup = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT idempotency_key FROM deliveries"
                " GROUP BY idempotency_key HAVING count(*) > 1) d"
            )
        ).scalar_one()
        keys = conn.execute(
            text("SELECT count(DISTINCT idempotency_key) FROM deliveries")
        ).scalar_one()
        states = dict(conn.execute(text("SELECT state, count(*) FROM outbox GROUP BY state")).all())
        missing = conn.execute(
            text(
                "SELECT count(*) FROM outbox o WHERE NOT EXISTS"
                " (SELECT 1 FROM deliveries d WHERE d.idempotency_key = o.idempotency_key)"
            )
        ).scalar_one()
    assert dup == 0
    assert keys == N and _delivered(engine) == N
    assert missing == 0
    assert states == {"sent": N}
    engine.dispose()

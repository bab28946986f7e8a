"""A worker as a separate process for the crash test: ``python worker_proc.py DB_PATH``.

Runs the real Worker with a throttled sandbox (so that kills land mid-work) until no row is
pending, deferred or in flight; prints ``ready`` once started.
"""

from __future__ import annotations

import sys
import time

from sqlalchemy import text

from userops.dispatch.policy import Policy
from userops.dispatch.sandbox import SandboxAdapter
from userops.dispatch.worker import Worker
from userops.store.engine import make_engine

CRASH_POLICY = {"quiet_hours": None, "lease_seconds": 2, "batch_size": 300}


def main(path: str) -> int:
    engine = make_engine(f"sqlite:///{path}")
    policy = Policy.with_overrides(CRASH_POLICY)
    adapter = SandboxAdapter(engine, "sms", rate_per_second=6000, burst=300, max_batch=300)
    print("ready", flush=True)
    while True:
        Worker(engine, {"sms": adapter}, policy=policy, fallbacks=False).run(stop_when_idle=True)
        with engine.connect() as conn:
            left = conn.execute(
                text("SELECT count(*) FROM outbox WHERE state IN ('pending','deferred','sending')")
            ).scalar_one()
        if left == 0:
            return 0
        time.sleep(0.3)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))

"""A journeys worker as a separate process for the kill test.

Runs the real outbox Worker with the journeys' tick (a throttled sandbox, so that kills land
mid-work) until no member is active and no message is queued. The kill test forks it from
its own process (:func:`main` with a ``ready`` callback: no interpreter start and imports per
worker); ``python worker_proc.py URL`` runs it alone and prints ``ready`` once started.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from sqlalchemy import text

from userops.dispatch.policy import Policy
from userops.dispatch.sandbox import SandboxAdapter
from userops.dispatch.worker import Worker
from userops.journeys.runner import JourneyRunner
from userops.store.engine import make_engine

KILL_POLICY = {"quiet_hours": None, "lease_seconds": 2, "batch_size": 2000}
LEFT = (
    "SELECT (SELECT count(*) FROM journey_members WHERE state = 'active')"
    " + (SELECT count(*) FROM outbox WHERE state IN ('pending', 'deferred', 'sending'))"
)


def main(url: str, ready: Callable[[], None] | None = None) -> int:
    """Work until nothing is left; ``ready`` (else a printed ``ready``) once started."""
    engine = make_engine(url)
    policy = Policy.with_overrides(KILL_POLICY)
    adapter = SandboxAdapter(engine, "sms", rate_per_second=50_000, burst=2000, max_batch=2000)
    journeys = JourneyRunner(engine, policy=policy)
    if ready is None:
        print("ready", flush=True)
    else:
        ready()
    while True:
        Worker(engine, {"sms": adapter}, policy=policy, fallbacks=False, tick=journeys.tick).run(
            stop_when_idle=True
        )
        with engine.connect() as conn:
            if conn.execute(text(LEFT)).scalar_one() == 0:
                return 0
        time.sleep(0.3)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))

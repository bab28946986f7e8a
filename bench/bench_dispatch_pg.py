"""Dispatch throughput on PostgreSQL with 1, 2 and 3 worker processes (scale-out).

A database of its own next to ``USEROPS_TEST_PG_URL`` (default the local ``test`` database),
``BENCH_DISPATCH_PG_N`` users (default 200,000) with SMS consent loaded by COPY. For each
worker count the outbox is emptied, the campaign enqueued (timed apart), then that many
worker processes drain it (claims ``FOR UPDATE SKIP LOCKED``, second policy gate, rendering,
sandbox deliveries, marking sent). Reported per count: msgs/s, CPU seconds of the workers
(the PostgreSQL server's own CPU is not in them: its backends exit with the workers), load
average, duplicate deliveries. On a shared machine the load average says how far the wall
times can be trusted; ``BENCH_DISPATCH_PG_WORKERS`` picks the counts (default ``1,2,3``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench.bench_dispatch import NOW, run_workers, sms_step
from userops.dispatch.engine import enqueue
from userops.dispatch.policy import Policy


def _reset(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE outbox, deliveries, campaign_members"))
        conn.execute(text("DELETE FROM audit WHERE actor = 'dispatch'"))


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        delivered = conn.execute(text("SELECT count(*) FROM deliveries")).scalar_one()
        dup = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT idempotency_key FROM deliveries"
                " GROUP BY idempotency_key HAVING count(*) > 1) d"
            )
        ).scalar_one()
        sent = conn.execute(text("SELECT count(*) FROM outbox WHERE state = 'sent'")).scalar_one()
    return int(delivered), int(dup), int(sent)


def run(workdir: Path) -> dict[str, Any]:
    """Run the benchmark; return flat metrics (``w1_*``, ``w2_*``, ``w3_*``)."""
    from scripts.chaos_setup import PG_ADMIN_URL, create_database, drop_database, seed

    try:
        url = create_database()
    except Exception as exc:  # no server here: say so instead of failing the whole bench run
        return {"skipped": f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"}
    n = int(os.environ.get("BENCH_DISPATCH_PG_N", "200000"))
    counts = [int(c) for c in os.environ.get("BENCH_DISPATCH_PG_WORKERS", "1,2,3").split(",")]
    workdir.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"recipients": n, "backend": "postgresql"}
    try:
        t0 = time.perf_counter()
        engine = seed(url, n)
        out["setup_s"] = round(time.perf_counter() - t0, 1)
        policy = Policy.load()
        for w in counts:
            _reset(engine)
            t0, c0 = time.perf_counter(), time.process_time()
            res = enqueue(engine, sms_step(f"bench-w{w}", n), policy=policy, now_ts=NOW)
            enqueue_s, enqueue_cpu = time.perf_counter() - t0, time.process_time() - c0
            engine.dispose()
            wall, cpu = run_workers(url, w)
            delivered, dup, sent = _counts(engine)
            out |= {
                f"w{w}_enqueued": res.pending,
                f"w{w}_enqueue_s": round(enqueue_s, 2),
                f"w{w}_enqueue_cpu_s": round(enqueue_cpu, 2),
                f"w{w}_work_s": round(wall, 2),
                f"w{w}_msgs_per_s": round(n / wall),
                f"w{w}_worker_cpu_s": round(cpu, 2),
                f"w{w}_msgs_per_worker_cpu_s": round(n / cpu) if cpu else 0,
                f"w{w}_delivered": delivered,
                f"w{w}_sent": sent,
                f"w{w}_duplicate_deliveries": dup,
                f"w{w}_load_avg_1m": round(os.getloadavg()[0], 2),
            }
        engine.dispose()
    finally:
        drop_database(url)
    out["cpus"] = os.cpu_count()
    return out

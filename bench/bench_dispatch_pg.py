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

import multiprocessing
import os
import resource
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from userops.dispatch.engine import enqueue
from userops.dispatch.models import DispatchStep, MessageContent
from userops.dispatch.policy import Policy
from userops.dispatch.worker import Worker
from userops.store.engine import make_engine

NOW = 1779933600  # 10:00 in Shanghai: inside allowed hours
BODY = "【优选】{name}，新教程已上线，点击查看，回T退订"


def _worker_main(url: str) -> None:
    engine = make_engine(url)
    Worker(engine, None, policy=Policy.load(), clock=lambda: NOW, fallbacks=False).run()
    engine.dispose()


def _reset(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE outbox, deliveries, campaign_members"))
        conn.execute(text("DELETE FROM audit WHERE actor = 'dispatch'"))


def _step(campaign: str, n: int) -> DispatchStep:
    content = MessageContent(variant_id="v1", channel="sms", content_type="tutorial", body=BODY)
    return DispatchStep(
        campaign_id=campaign,
        contents={"v1": content},
        assignments=[(i, "sms", "v1") for i in range(1, n + 1)],
    )


def _drain(url: str, workers: int) -> tuple[float, float]:
    """Run ``workers`` processes to completion; return (wall s, CPU s of the workers)."""
    ctx = multiprocessing.get_context("fork")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    procs = [ctx.Process(target=_worker_main, args=(url,)) for _ in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"worker exited with {p.exitcode}")
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


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
            res = enqueue(engine, _step(f"bench-w{w}", n), policy=policy, now_ts=NOW)
            enqueue_s, enqueue_cpu = time.perf_counter() - t0, time.process_time() - c0
            engine.dispose()
            wall, cpu = _drain(url, w)
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

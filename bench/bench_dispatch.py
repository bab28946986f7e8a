"""Dispatch throughput: a 1,000,000-recipient campaign through policy + outbox + sandbox.

SQLite file store, one process. Measured separately: ``enqueue`` (policy evaluation, outbox
rows, campaign members) and ``work`` (worker claims, second policy gate, rendering, sandbox
deliveries, marking sent) by ``BENCH_DISPATCH_WORKERS`` worker processes (default 2, one per
core; claims are atomic so they share the outbox). Setup (users, consents) is not timed.
``BENCH_DISPATCH_N`` changes the size. CPU seconds are reported next to wall seconds
because the machine is shared.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

from userops.dispatch.engine import enqueue
from userops.dispatch.models import DispatchStep, MessageContent
from userops.dispatch.policy import Policy
from userops.dispatch.worker import Worker
from userops.store.engine import make_engine, upgrade

NOW = 1779933600  # 10:00 in Shanghai: inside allowed hours
BODY = "【优选】{name}，新教程已上线，点击查看，回T退订"


def sms_step(campaign: str, n: int) -> DispatchStep:
    """One SMS tutorial step to users ``1..n``."""
    content = MessageContent(variant_id="v1", channel="sms", content_type="tutorial", body=BODY)
    return DispatchStep(
        campaign_id=campaign,
        contents={"v1": content},
        assignments=[(i, "sms", "v1") for i in range(1, n + 1)],
    )


def _setup(path: Path, n: int) -> None:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    for lo in range(1, n + 1, 100_000):
        hi = min(n + 1, lo + 100_000)
        con.executemany(
            "INSERT INTO users (id, external_id, name, phone, timezone, language, created_ts,"
            " do_not_contact) VALUES (?, ?, ?, ?, 'Asia/Shanghai', 'zh', 0, 0)",
            ((i, f"u{i}", f"用户{i}", f"+86138{i:08d}") for i in range(lo, hi)),
        )
        con.executemany(
            "INSERT INTO consents (user_id, channel, status, source, ts) VALUES (?, 'sms',"
            " 'granted', 'bench', 1)",
            ((i,) for i in range(lo, hi)),
        )
        con.commit()
    con.close()


def _worker_main(url: str) -> None:
    engine = make_engine(url)
    batch = int(os.environ.get("BENCH_DISPATCH_BATCH", "0")) or None
    policy = Policy.load()
    Worker(engine, None, policy=policy, clock=lambda: NOW, fallbacks=False, batch_size=batch).run()
    engine.dispose()


def run_workers(url: str, workers: int) -> tuple[float, float]:
    """Run ``workers`` worker processes on ``url`` to completion; return (wall s, CPU s of all)."""
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


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run(workdir: Path) -> dict[str, Any]:
    """Run the benchmark in ``workdir``; return flat metrics."""
    n = int(os.environ.get("BENCH_DISPATCH_N", "1000000"))
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    db = workdir / "dispatch.db"
    t0 = time.perf_counter()
    _setup(db, n)
    setup_s = time.perf_counter() - t0
    rss_setup = _rss_mb()
    engine = make_engine(f"sqlite:///{db}")
    policy = Policy.load()
    t0 = time.perf_counter()
    step = sms_step("bench", n)
    build_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    res = enqueue(engine, step, policy=policy, now_ts=NOW)
    enqueue_s, enqueue_cpu = time.perf_counter() - t0, time.process_time() - c0
    del step
    engine.dispose()
    workers = int(os.environ.get("BENCH_DISPATCH_WORKERS", "2"))
    work_s, work_cpu = run_workers(f"sqlite:///{db}", workers)
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        from sqlalchemy import text

        delivered = conn.execute(text("SELECT count(*) FROM deliveries")).scalar_one()
        dup = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT idempotency_key FROM deliveries"
                " GROUP BY idempotency_key HAVING count(*) > 1) d"
            )
        ).scalar_one()
        sent = conn.execute(text("SELECT count(*) FROM outbox WHERE state = 'sent'")).scalar_one()
    engine.dispose()
    total = enqueue_s + work_s
    return {
        "recipients": n,
        "enqueued_pending": res.pending,
        "delivered": delivered,
        "sent": sent,
        "duplicate_deliveries": dup,
        "worker_processes": workers,
        "setup_s": round(setup_s, 1),
        "step_build_s": round(build_s, 2),
        "enqueue_s": round(enqueue_s, 2),
        "enqueue_msgs_per_s": round(n / enqueue_s),
        "work_s": round(work_s, 2),
        "work_msgs_per_s": round(n / work_s),
        "total_s": round(total, 2),
        "msgs_per_s": round(n / total),
        "goal_msgs_per_s": 50000,
        "enqueue_cpu_s": round(enqueue_cpu, 2),
        "work_cpu_s": round(work_cpu, 2),
        "msgs_per_cpu_s": round(n / (enqueue_cpu + work_cpu)),
        "load_avg_1m": round(os.getloadavg()[0], 1),
        "peak_rss_mb": _rss_mb(),
        "peak_rss_worker_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
        "rss_after_setup_mb": rss_setup,
        "db_mb": round(sum(f.stat().st_size for f in workdir.iterdir()) / 1e6),
    }

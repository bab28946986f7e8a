"""Dispatch throughput: a 1,000,000-recipient campaign through policy + outbox + sandbox.

SQLite file store. Two runs on fresh copies of the same store:

* **serial**: ``enqueue`` (policy evaluation, outbox rows, campaign members), then ``work``
  (worker claims, second policy gate, rendering, sandbox deliveries, marking sent) by
  ``BENCH_DISPATCH_WORKERS`` worker processes (default 2; claims are atomic so they share
  the outbox) started after it: each phase alone;
* **live** (the deployment: ``userops worker run`` is always on when an approval enqueues):
  the workers are running, idle, when the enqueue starts, and send each chunk as soon as
  its transaction commits. End to end is from the enqueue's start until the last message is
  delivered.

Setup (users, consents) is not timed. ``BENCH_DISPATCH_N`` changes the size,
``BENCH_DISPATCH_MODES`` (``serial,live``) the runs. CPU seconds are reported next to wall
seconds because the machine is shared.
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


def _live_worker_main(url: str, done: Any) -> None:
    """An always-on worker: poll until the enqueue is done and nothing is left."""
    engine = make_engine(url)
    batch = int(os.environ.get("BENCH_DISPATCH_BATCH", "0")) or None
    worker = Worker(
        engine, None, policy=Policy.load(), clock=lambda: NOW, fallbacks=False, batch_size=batch
    )
    while True:
        finished = done.is_set()  # read before the pass: rows committed before it are seen
        worker.run(stop_when_idle=True)  # returns at the first claim that finds nothing
        if finished:
            break
        time.sleep(0.05)
    engine.dispose()


def _start(
    target: Any, args: tuple[Any, ...], workers: int
) -> tuple[list[Any], resource.struct_rusage]:
    """Fork ``workers`` processes running ``target(*args)``; return them and the CPU so far."""
    ctx = multiprocessing.get_context("fork")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = [ctx.Process(target=target, args=args) for _ in range(workers)]
    for p in procs:
        p.start()
    return procs, before


def _join(procs: list[Any], before: resource.struct_rusage) -> float:
    """Wait for ``procs`` (a failure raises); return their CPU seconds since ``before``."""
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"worker exited with {p.exitcode}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_workers(url: str, workers: int) -> tuple[float, float]:
    """Run ``workers`` worker processes on ``url`` to completion; return (wall s, CPU s of all)."""
    t0 = time.perf_counter()
    procs, before = _start(_worker_main, (url,), workers)
    cpu = _join(procs, before)
    return time.perf_counter() - t0, cpu


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _counts(url: str) -> tuple[int, int, int]:
    """(deliveries, duplicate idempotency keys among them, outbox rows sent)."""
    from sqlalchemy import text

    engine = make_engine(url)
    with engine.connect() as conn:
        delivered = conn.execute(text("SELECT count(*) FROM deliveries")).scalar_one()
        dup = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT idempotency_key FROM deliveries"
                " GROUP BY idempotency_key HAVING count(*) > 1) d"
            )
        ).scalar_one()
        sent = conn.execute(text("SELECT count(*) FROM outbox WHERE state = 'sent'")).scalar_one()
    engine.dispose()
    return delivered, dup, sent


def _enqueue(url: str, n: int) -> tuple[Any, float, float]:
    """Enqueue the bench step on ``url``; return (result, wall s, CPU s of this process)."""
    engine = make_engine(url)
    step = sms_step("bench", n)
    t0, c0 = time.perf_counter(), time.process_time()
    res = enqueue(engine, step, policy=Policy.load(), now_ts=NOW)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    engine.dispose()
    return res, wall, cpu


def _outcome(
    url: str, n: int, res: Any, total: float, enqueue_cpu: float, work_cpu: float
) -> dict[str, Any]:
    """What both runs report: the store's counts, end to end, CPU, load."""
    delivered, dup, sent = _counts(url)
    return {
        "enqueued_pending": res.pending,
        "delivered": delivered,
        "sent": sent,
        "duplicate_deliveries": dup,
        "total_s": round(total, 2),
        "msgs_per_s": round(n / total),
        "enqueue_cpu_s": round(enqueue_cpu, 2),
        "work_cpu_s": round(work_cpu, 2),
        "msgs_per_cpu_s": round(n / (enqueue_cpu + work_cpu)),
        "load_avg_1m": round(os.getloadavg()[0], 1),
    }


def _serial(url: str, n: int, workers: int) -> dict[str, Any]:
    res, enqueue_s, enqueue_cpu = _enqueue(url, n)
    work_s, work_cpu = run_workers(url, workers)
    return {
        **_outcome(url, n, res, enqueue_s + work_s, enqueue_cpu, work_cpu),
        "enqueue_s": round(enqueue_s, 2),
        "enqueue_msgs_per_s": round(n / enqueue_s),
        "work_s": round(work_s, 2),
        "work_msgs_per_s": round(n / work_s),
    }


def _live(url: str, n: int, workers: int) -> dict[str, Any]:
    done = multiprocessing.get_context("fork").Event()
    procs, before = _start(_live_worker_main, (url, done), workers)  # before the enqueue's thread
    time.sleep(0.5)  # the workers are up and idle, as a deployed worker is
    t0 = time.perf_counter()
    res, enqueue_s, enqueue_cpu = _enqueue(url, n)
    done.set()
    work_cpu = _join(procs, before)
    total = time.perf_counter() - t0
    return {
        **_outcome(url, n, res, total, enqueue_cpu, work_cpu),
        "enqueue_s": round(enqueue_s, 2),
    }


def run(workdir: Path) -> dict[str, Any]:
    """Run the benchmark in ``workdir``; return flat metrics (``serial_*``, ``live_*``)."""
    n = int(os.environ.get("BENCH_DISPATCH_N", "1000000"))
    workers = int(os.environ.get("BENCH_DISPATCH_WORKERS", "2"))
    modes = os.environ.get("BENCH_DISPATCH_MODES", "serial,live").split(",")
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    base = workdir / "base.db"
    t0 = time.perf_counter()
    _setup(base, n)
    out: dict[str, Any] = {
        "recipients": n,
        "worker_processes": workers,
        "setup_s": round(time.perf_counter() - t0, 1),
        "goal_msgs_per_s": 50000,
    }
    for mode in modes:
        db = workdir / f"{mode}.db"
        shutil.copyfile(base, db)
        url = f"sqlite:///{db}"
        figures = (_live if mode == "live" else _serial)(url, n, workers)
        out.update({f"{mode}_{k}": v for k, v in figures.items()})
        out[f"{mode}_db_mb"] = round(
            sum(f.stat().st_size for f in workdir.glob(f"{mode}.db*")) / 1e6
        )
        for f in workdir.glob(f"{mode}.db*"):
            f.unlink()  # the next run's disk and page cache
    out["peak_rss_mb"] = _rss_mb()
    out["peak_rss_worker_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
    )
    return out

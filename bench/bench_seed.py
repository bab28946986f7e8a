"""Benchmark `seed_population`: 1M persons into a fresh SQLite store.

``BENCH_SEED_USERS`` overrides the number of persons (e.g. for a quick check).
"""

from __future__ import annotations

import os
import resource
import shutil
import time
from pathlib import Path
from typing import Any


def run(workdir: Path) -> dict[str, Any]:
    from userops.cdp.sample.population import seed_population
    from userops.store.engine import make_engine, upgrade

    users = int(os.environ.get("BENCH_SEED_USERS", "1000000"))
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{workdir / 'userops.db'}")
    upgrade(engine)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    result = seed_population(engine, users=users, seed=42, language="zh")
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    engine.dispose()
    rows = result.records + result.identities + result.consents + result.events
    own = resource.getrusage(resource.RUSAGE_SELF)
    helper = resource.getrusage(resource.RUSAGE_CHILDREN)
    db_mb = sum(p.stat().st_size for p in workdir.glob("userops.db*")) / 2**20
    return {
        "users": result.users,
        "records": result.records,
        "identities": result.identities,
        "consents": result.consents,
        "events": result.events,
        "events_per_user": round(result.events / result.users, 2),
        "orders": result.events_by_type.get("order", 0),
        "merges": result.merges if result.merges is not None else "n/a",
        "load_s": result.load_s,
        "resolve_s": result.resolve_s,
        "elapsed_s": round(wall, 2),
        "rows_per_s": round(rows / wall),
        "events_per_s": round(result.events / wall),
        "main_cpu_s": round(cpu, 2),
        "helper_cpu_s": round(helper.ru_utime + helper.ru_stime, 2),
        "peak_rss_mb": round(own.ru_maxrss / 1024),
        "helper_peak_rss_mb": round(helper.ru_maxrss / 1024),
        "db_mb": round(db_mb),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }

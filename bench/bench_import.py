"""Benchmark: `import users|events|consents` of generated CSVs into a fresh SQLite store.

Wall-clock rows/s depend on what else runs on the machine; ``rows_per_cpu_s`` (process CPU
time, SQLite runs in-process) is the steadier figure on a shared box, and the 1-minute load
average before and after the run says how shared it was.

``BENCH_IMPORT_ROWS`` sets the size (default 300,000). The files come from
:mod:`userops.cdp.sample.files` (about 5% of the users share a phone or an openid).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from userops.cdp.identity.resolve import resolve_identities
from userops.cdp.ingest.importer import import_file
from userops.cdp.sample.files import generate_consents, generate_events, generate_users
from userops.store.engine import make_engine, upgrade


def _timed(engine: Engine, kind: str, path: Path, rows: int) -> dict[str, Any]:
    c0, t0 = time.process_time(), time.perf_counter()
    res = import_file(engine, kind, path)
    c1, t1 = time.process_time(), time.perf_counter()
    assert res.inserted == rows, res
    return {
        f"{kind}_s": round(t1 - t0, 2),
        f"{kind}_rows_per_s": round(rows / (t1 - t0)),
        f"{kind}_cpu_s": round(c1 - c0, 2),
    }


def run(workdir: Path) -> dict[str, Any]:
    """Generate the files, import users twice (fresh, then a no-op re-import), then events
    and consents, and time each."""
    rows = int(os.environ.get("BENCH_IMPORT_ROWS", "300000"))
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    path = workdir / "users.csv"
    generate_users(path, rows)
    engine = make_engine(f"sqlite:///{workdir / 'store.db'}")
    upgrade(engine)
    load_before = os.getloadavg()[0]
    c0, t0 = time.process_time(), time.perf_counter()
    first = import_file(engine, "users", path)
    c1, t1 = time.process_time(), time.perf_counter()
    second = import_file(engine, "users", path)
    c2, t2 = time.process_time(), time.perf_counter()
    t3 = time.perf_counter()
    merges_again = resolve_identities(engine)
    t4 = time.perf_counter()
    with engine.connect() as conn:
        identities = conn.execute(text("SELECT count(*) FROM identities")).scalar_one()
    generate_events(workdir / "events.csv", rows, rows)
    generate_consents(workdir / "consents.csv", rows)
    others = _timed(engine, "events", workdir / "events.csv", rows)
    others |= _timed(engine, "consents", workdir / "consents.csv", rows)
    engine.dispose()
    return others | {
        "rows": rows,
        "import_s": round(t1 - t0, 2),
        "rows_per_s": round(rows / (t1 - t0)),
        "import_cpu_s": round(c1 - c0, 2),
        "rows_per_cpu_s": round(rows / (c1 - c0)),
        "reimport_s": round(t2 - t1, 2),
        "reimport_rows_per_s": round(rows / (t2 - t1)),
        "reimport_cpu_s": round(c2 - c1, 2),
        "full_resolve_s": round(t4 - t3, 2),
        "full_resolve_new_merges": merges_again,
        "merges": first.merges,
        "identities": identities,
        "reimport_unchanged": second.unchanged,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "load_avg_1m_before": round(load_before, 2),
        "load_avg_1m_after": round(os.getloadavg()[0], 2),
    }

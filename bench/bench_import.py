"""Benchmark: `import users` of a generated CSV into a fresh SQLite store (rows/s).

Wall-clock rows/s depend on what else runs on the machine; ``rows_per_cpu_s`` (process CPU
time, SQLite runs in-process) is the steadier figure on a shared box, and the 1-minute load
average before and after the run says how shared it was.

``BENCH_IMPORT_ROWS`` sets the size (default 300,000). About 5% of the records share a
phone or an openid with an earlier record, so identity resolution has work to do; every
record has its own ``created_at`` (no shortcut through repeated values).
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from userops.cdp.identity import resolve_identities
from userops.cdp.importer import import_file
from userops.store.engine import make_engine, upgrade

ZONES = ("Asia/Shanghai", "Asia/Shanghai", "Asia/Shanghai", "Asia/Hong_Kong", "America/New_York")
REGIONS = ("Shanghai", "Beijing", "Guangdong", "Zhejiang", "Sichuan")
HEADER = (
    "user_id",
    "name",
    "phone",
    "email",
    "wechat_openid",
    "device_id",
    "timezone",
    "language",
    "region",
    "created_at",
)


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write a users CSV with ``rows`` records (some sharing identifiers)."""
    rnd = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(rows):
            phone_no = i if i < 1000 or rnd.random() > 0.03 else rnd.randrange(i)
            openid = f"o{i}" if i < 1000 or rnd.random() > 0.02 else f"o{rnd.randrange(i)}"
            w.writerow(
                (
                    f"u{i}",
                    f"User {i}",
                    f"13{phone_no % 10}{phone_no:08d}",
                    f"user{i}@example.com" if i % 3 else "",
                    openid if i % 2 else "",
                    f"dev-{i:x}" if i % 4 == 0 else "",
                    ZONES[i % len(ZONES)],
                    "zh" if i % 5 else "en",
                    REGIONS[i % len(REGIONS)],
                    f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i // 24 % 60:02d}:"
                    f"{i // 1440 % 60:02d}+08:00",
                )
            )


def run(workdir: Path) -> dict[str, Any]:
    """Generate the file, import it twice (fresh, then a no-op re-import) and time both."""
    rows = int(os.environ.get("BENCH_IMPORT_ROWS", "300000"))
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    path = workdir / "users.csv"
    generate(path, rows)
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
    engine.dispose()
    return {
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

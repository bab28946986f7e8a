"""Benchmark: `import users|events|consents` of generated CSVs into a fresh SQLite store.

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

from sqlalchemy import Engine, text

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


EVENT_TYPES = ("order", "visit", "message_opened", "app_open")
CHANNELS = ("sms", "email", "wechat_template", "app_push")


def generate_events(path: Path, rows: int, users: int, seed: int = 11) -> None:
    """Write an events CSV (orders with amounts, visits, opens) for the generated users."""
    rnd = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("user_id", "type", "ts", "channel", "amount", "quantity"))
        for i in range(rows):
            kind = EVENT_TYPES[rnd.randrange(4)]
            order = kind == "order"
            w.writerow(
                (
                    f"u{rnd.randrange(users)}",
                    kind,
                    1_704_067_200 + i * 7,
                    CHANNELS[rnd.randrange(4)],
                    f"{rnd.randrange(100, 50_000) / 100:.2f}" if order else "",
                    rnd.randrange(1, 4) if order else "",
                )
            )


def generate_consents(path: Path, users: int) -> None:
    """Write a consents CSV: one row per user, channels in turn, some withdrawn."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("user_id", "channel", "status", "source", "ts"))
        for i in range(users):
            status = "withdrawn" if i % 7 == 0 else "granted"
            w.writerow((f"u{i}", CHANNELS[i % 4], status, "app", 1_704_067_200 + i))


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

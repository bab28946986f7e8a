"""Event -> trait latency of incremental profile updates at a sustained event rate.

A synthetic SQLite store (``bench_profiles.generate``: ~10 events per user, BG/NBD-like
orders, 5% merged records) is built once with ``build_profiles`` and copied for each run.
Events then arrive at ``RATE`` per second for ``SECONDS`` seconds on random user records
(orders, page views, opens, messages, feedback), stamped during the as-of day of the build
(the nightly build ran this morning; events arrive during the day). Every ``WINDOW_MS`` the
events that arrived are written to ``events`` and ``apply_events`` updates their users' traits
in the same transaction, as real-time ingestion does; a window whose work overruns is followed
at once by the next with everything that arrived meanwhile. An event's latency is from its
arrival to the commit of its users' traits.

Environment: ``BENCH_TRAIT_LATENCY_USERS`` (default 100000; the issue's goal is stated for
1000000), ``BENCH_TRAIT_LATENCY_RATE`` (1000), ``BENCH_TRAIT_LATENCY_SECONDS`` (20),
``BENCH_TRAIT_LATENCY_WINDOW_MS`` (100).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import json  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from bench.bench_profiles import AS_OF, AS_OF_TS, generate  # noqa: E402

KINDS = ("order", "page_view", "app_open", "message_delivered", "message_opened", "feedback")
KIND_P = (0.1, 0.4, 0.15, 0.2, 0.1, 0.05)
NOON = 12 * 3600
NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC) + timedelta(hours=20)
"""The clock of the updates: evening of the build's as-of day."""
INSERT = (
    "INSERT INTO events (user_id, type, ts, channel, amount, quantity, properties)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _env(name: str, default: int) -> int:
    return int(os.environ.get(f"BENCH_TRAIT_LATENCY_{name}", str(default)))


def _built_store(workdir: Path, users: int, out: dict[str, Any]) -> Path:
    """A generated and fully built store of ``users`` users (made once, then reused)."""
    from userops.cdp.traits.build import build_profiles
    from userops.store.engine import make_engine

    path = workdir / f"built_{users}.db"
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    t0 = time.perf_counter()
    out["generated_events"] = generate(tmp, users)
    engine = make_engine(f"sqlite:///{tmp}")
    build_profiles(engine, as_of=AS_OF)
    engine.dispose()
    tmp.rename(path)
    out["prepare_s"] = round(time.perf_counter() - t0, 1)
    return path


def _drop_store(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def scratch_copy(base: Path, scratch: Path) -> Iterator[Path]:
    """A fresh copy of the built store at ``scratch``, flushed to disk; removed afterwards.

    Left dirty, the copy's gigabytes are written back during the run, and the first WAL
    checkpoint's fsync waits for all of them (seconds at 1M users): a cost of the copy, not
    of the update.
    """
    _drop_store(scratch)
    shutil.copyfile(base, scratch)
    fd = os.open(scratch, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        yield scratch
    finally:
        _drop_store(scratch)


def _events(rng: np.random.Generator, n: int, users: int) -> list[tuple[Any, ...]]:
    """``n`` event rows on random records (ts filled in at arrival)."""
    kinds = rng.choice(len(KINDS), n, p=KIND_P)
    uids = rng.integers(1, users + 1, n)
    rows = []
    for k, u in zip(kinds.tolist(), uids.tolist(), strict=True):
        kind = KINDS[k]
        props = None
        amount = None
        if kind == "order":
            amount = round(float(rng.gamma(6.0, 25.0)), 2)
            item = {"sku": "s-tea", "name": "tea", "category": "tea", "price": amount, "qty": 1}
            props = json.dumps({"items": [item], "discount": 0.1})
        elif kind == "page_view":
            props = json.dumps({"content_type": "tutorial", "category": "books"})
        elif kind == "feedback":
            props = json.dumps({"rating": int(rng.integers(1, 6))})
        channel = "sms" if kind.startswith("message_") else None
        rows.append((u, kind, 0, channel, amount, 1 if amount else None, props))
    return rows


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)) * 1000.0, 1) if values else 0.0


def _run(path: Path, rate: int, seconds: int, window: float) -> dict[str, Any]:
    from userops.cdp.traits.incremental import apply_events
    from userops.store.engine import make_engine

    engine = make_engine(f"sqlite:///{path}")
    total = rate * seconds
    users = _user_count(engine)
    rows = _events(np.random.default_rng(7), total, users)
    latencies: list[float] = []
    applies: list[float] = []
    cpu: list[float] = []
    batches: list[int] = []
    changes = 0
    done = 0
    start = time.perf_counter()
    next_tick = start
    while done < total:
        now = time.perf_counter()
        if now < next_tick:
            time.sleep(next_tick - now)
            now = next_tick
        arrived = min(total, int((now - start) * rate))
        next_tick = max(now, next_tick) + window
        if arrived <= done:
            continue
        batch = rows[done:arrived]
        ts0 = AS_OF_TS + NOON
        stamped = [(r[0], r[1], ts0 + (done + k) // rate, *r[3:]) for k, r in enumerate(batch)]
        with engine.begin() as conn:
            cur = conn.connection.cursor()
            cur.executemany(INSERT, stamped)
            cur.close()
            t0, c0 = time.perf_counter(), time.process_time()
            result = apply_events(conn, [r[0] for r in batch], now=NOW)
            applies.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        committed = time.perf_counter() - start
        latencies.extend(committed - (done + k) / rate for k in range(len(batch)))
        changes += len(result.stage_changes)
        batches.append(len(batch))
        done = arrived
    elapsed = time.perf_counter() - start
    engine.dispose()
    return {
        "events": total,
        "rate_target": rate,
        "rate_achieved": round(total / elapsed, 1),
        "latency_p50_ms": _pct(latencies, 50),
        "latency_p95_ms": _pct(latencies, 95),
        "latency_max_ms": _pct(latencies, 100),
        "apply_p50_ms": _pct(applies, 50),
        "apply_p95_ms": _pct(applies, 95),
        "apply_cpu_p50_ms": _pct(cpu, 50),
        "apply_cpu_p95_ms": _pct(cpu, 95),
        "batches": len(batches),
        "batch_events_p50": int(np.percentile(batches, 50)),
        "lifecycle_changes": changes,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def _user_count(engine: Any) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return int(conn.execute(text("SELECT max(id) FROM users")).scalar_one())


def run(workdir: Path) -> dict[str, Any]:
    """Prepare (once) a built store, then time incremental updates at the target rate."""
    workdir.mkdir(parents=True, exist_ok=True)
    users = _env("USERS", 100_000)
    out: dict[str, Any] = {"users": users}
    base = _built_store(workdir, users, out)
    window = _env("WINDOW_MS", 100) / 1000.0
    out["window_ms"] = int(window * 1000)
    with scratch_copy(base, workdir / f"run_{users}.db") as scratch:
        out.update(_run(scratch, _env("RATE", 1000), _env("SECONDS", 20), window))
    return out

"""Helpers of bench_segments: synthetic events, event-predicate timings, the PostgreSQL run.

Events: ``BENCH_SEGMENTS_EVENTS`` rows (default one per profile) spread over the profiles and
two years before the build, 20% orders, 60% page views, 20% message clicks. The event specs
are the shapes an operator writes: a recent order, a count of orders over all time, a trait
with "no click lately". PostgreSQL: a database of its own next to ``USEROPS_TEST_PG_URL``
(migrated like a deployment), the same trait rows and events loaded by COPY (then VACUUM
ANALYZE, as autovacuum would leave them), then the same previews (PostgreSQL has no columnar
copy: this is its only path).
"""

from __future__ import annotations

import csv
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from userops.cdp.segments.preview import summarize
from userops.cdp.segments.service import compile_segment, parse_spec, preview_segment
from userops.cdp.segments.spec import SegmentSpec
from userops.cdp.segments.summary import SegmentSummary

AS_OF = 1_780_000_000
EVENT_TYPES = ("order", "page_view", "message_clicked")
EVENT_SPECS: dict[str, dict[str, Any]] = {
    "ordered_30d": {"all": [{"event": "order", "within_days": 30}]},
    "orders_ge3": {"all": [{"event": "order", "count": {"op": ">=", "value": 3}}]},
    "high_no_click_90d": {
        "all": [{"field": "ltv_tier", "op": "=", "value": "high"}],
        "none": [{"event": "message_clicked", "within_days": 90}],
    },
}
Timer = Callable[[Callable[[], Any], int], tuple[float, float, float, Any]]


def event_rows(n_users: int, n_events: int) -> Iterator[tuple[int, str, int, float | None]]:
    """``(user_id, type, ts, amount)`` rows, generated in blocks (numpy, seed 11)."""
    rng = np.random.default_rng(11)
    for lo in range(0, n_events, 500_000):
        m = min(500_000, n_events - lo)
        uid = rng.integers(1, n_users + 1, m).tolist()
        ts = (AS_OF - rng.integers(0, 730 * 86400, m)).tolist()
        typ = rng.choice(3, m, p=[0.2, 0.6, 0.2]).tolist()
        for i in range(m):
            t = typ[i]
            yield uid[i], EVENT_TYPES[t], ts[i], (10.0 if t == 0 else None)


def load_sqlite_events(db: Path, n_users: int, n_events: int) -> tuple[float, float, float]:
    """Insert the events into the SQLite store at ``db``: (seconds, backfill wall s, CPU s).

    A bulk load: the per-row trigger that keeps ``event_counts`` (~60 µs CPU an event on
    SQLite) is dropped for it and the counts are filled by the migration's backfill, all in
    one transaction (DDL is transactional on SQLite: no writer sees the trigger missing).
    """
    t0 = time.perf_counter()
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-200000")  # as the store's engine (userops.store.engine)
    con.execute("BEGIN IMMEDIATE")
    trigger = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'event_counts_ins'"
    ddl = con.execute(trigger).fetchone()[0]
    con.execute("DROP TRIGGER event_counts_ins")
    con.executemany(
        "INSERT INTO events (user_id, type, ts, amount) VALUES (?, ?, ?, ?)",
        event_rows(n_users, n_events),
    )
    t1, c1 = time.perf_counter(), time.process_time()
    con.execute("DELETE FROM event_counts")
    con.execute(_backfill_sql())
    fill = time.perf_counter() - t1, time.process_time() - c1
    con.execute(ddl)
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    return time.perf_counter() - t0, *fill


def _backfill_sql() -> str:
    """The backfill of migration 0018 (``event_counts`` from ``events``)."""
    import importlib.util

    path = Path(__file__).parents[1] / "userops/store/migrations/versions/0018_event_counts.py"
    spec = importlib.util.spec_from_file_location("m0018", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.BACKFILL)


def backfill_s(engine: Any) -> tuple[float, float]:
    """Empty ``event_counts`` and run the migration's backfill again: (wall s, client CPU s).

    What an existing store's upgrade to 0018 costs; it leaves the same rows as the load
    (PostgreSQL: COPY through the statement trigger; SQLite: the same backfill).
    """
    from sqlalchemy import text

    t0, c0 = time.perf_counter(), time.process_time()
    with engine.begin() as conn:
        empty = "TRUNCATE event_counts" if engine.dialect.name == "postgresql" else None
        conn.execute(text(empty or "DELETE FROM event_counts"))
        conn.execute(text(_backfill_sql()))
    return time.perf_counter() - t0, time.process_time() - c0


def inline_preview(engine: Any, spec: SegmentSpec, as_of_ts: int) -> SegmentSummary:
    """The preview as before :mod:`userops.cdp.segments.temp_ids`: every query of the preview
    runs the event subqueries again (the "before" figures)."""
    with engine.connect() as conn:
        return summarize(conn, compile_segment(conn, spec, as_of_ts=as_of_ts), spec)


def event_timings(engine: Any, timed: Timer, repeat: int, prefix: str) -> dict[str, Any]:
    """Wall/CPU p50 of each event spec's preview on ``engine``, and of :func:`inline_preview`
    unless ``BENCH_SEGMENTS_INLINE=0``.

    On the store alone (``columnar=False``), and on SQLite also as an operator gets it
    (``columnar=None``: the DuckDB copy of the traits when it is fresh, which takes counts
    over all time from the preview's id tables; ``_default_`` keys, with ``_same``).
    """
    out: dict[str, Any] = {}
    inline = os.environ.get("BENCH_SEGMENTS_INLINE", "1") != "0"
    for name, raw in EVENT_SPECS.items():
        spec = parse_spec(raw)
        call = partial(preview_segment, engine, spec, columnar=False, as_of_ts=AS_OF)
        p50, p95, cpu50, res = timed(call, repeat)
        out |= {
            f"{prefix}{name}_p50_ms": round(p50, 1),
            f"{prefix}{name}_cpu_p50_ms": round(cpu50, 1),
            f"{prefix}{name}_size": res.size,
        }
        if engine.dialect.name == "sqlite":
            call = partial(preview_segment, engine, spec, columnar=None, as_of_ts=AS_OF)
            p50, p95, cpu50, got = timed(call, repeat)
            out |= {
                f"{prefix}{name}_default_p50_ms": round(p50, 1),
                f"{prefix}{name}_default_cpu_p50_ms": round(cpu50, 1),
                f"{prefix}{name}_default_same": same_summary(got, res),
            }
        if inline:
            p50, p95, cpu50, old = timed(partial(inline_preview, engine, spec, AS_OF), repeat)
            out |= {
                f"{prefix}{name}_inline_p50_ms": round(p50, 1),
                f"{prefix}{name}_inline_cpu_p50_ms": round(cpu50, 1),
                f"{prefix}{name}_inline_same": same_summary(old, res),
            }
    return out


def _users(n: int) -> Iterator[tuple[Any, ...]]:
    merged = n // 50
    for i in range(1, n + 1):
        yield i, f"u{i}", AS_OF - 86400, "Asia/Shanghai", "zh", False, None
    for j in range(1, merged + 1):
        yield n + j, f"m{j}", AS_OF, "Asia/Shanghai", "zh", False, 1 + (j * 37) % n


def _csv_rows(path: Path, columns: list[str]) -> Iterator[list[Any]]:
    """The CSV's rows; an empty field is NULL except in the (never NULL) list columns."""
    keep = [c in ("reachable_channels", "interests") for c in columns]
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            yield [None if v == "" and not k else v for v, k in zip(row, keep, strict=True)]


def run_pg(
    csv_path: Path, columns: list[str], n: int, n_events: int, specs: dict[str, Any], timed: Timer
) -> dict[str, Any]:
    """Load the same data into PostgreSQL and time the previews there (``pg_*`` metrics)."""
    from scripts.chaos_setup import PG_ADMIN_URL, create_database, drop_database
    from userops.store.bulk import copy_rows
    from userops.store.engine import make_engine, upgrade

    try:
        url = create_database()
    except Exception as exc:  # no server here: say so instead of failing the whole bench run
        return {"pg_skipped": f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"}
    out: dict[str, Any] = {}
    repeat = int(os.environ.get("BENCH_SEGMENTS_PG_REPEAT", "5"))
    try:
        engine = make_engine(url)
        upgrade(engine)
        t0 = time.perf_counter()
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            ucols = "id external_id created_ts timezone language do_not_contact merged_into"
            copy_rows(cur, "users", ucols.split(), _users(n))
            copy_rows(cur, "traits", columns, _csv_rows(csv_path, columns))
            # a bulk load as an operator would run it: the counts trigger off (one grouped
            # upsert over a 10M-row transition table took 22 minutes under load), then the
            # migration's backfill below, timed on its own
            cur.execute("ALTER TABLE events DISABLE TRIGGER event_counts_ins")
            copy_rows(cur, "events", ("user_id", "type", "ts", "amount"), event_rows(n, n_events))
            cur.execute("ALTER TABLE events ENABLE TRIGGER event_counts_ins")
            raw.commit()
            # as autovacuum leaves a loaded table: statistics and the visibility map (without
            # it an index-only scan still reads every heap page it covers)
            driver = raw.driver_connection
            assert driver is not None
            driver.autocommit = True
            for table in ("users", "traits", "events", "event_counts"):
                cur.execute(f"VACUUM ANALYZE {table}")
        finally:
            raw.close()
        out["pg_load_s"] = round(time.perf_counter() - t0, 1)
        wall, _ = backfill_s(engine)  # always: the load left the counts empty
        out["pg_counts_backfill_s"] = round(wall, 1)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE event_counts")
        for name, spec in specs.items():
            call = partial(preview_segment, engine, spec, columnar=False)
            p50, p95, cpu50, res = timed(call, repeat)
            out |= {f"pg_{name}_p50_ms": round(p50, 1), f"pg_{name}_p95_ms": round(p95, 1)}
            out[f"pg_{name}_client_cpu_p50_ms"] = round(cpu50, 1)
            out[f"pg_{name}_size"] = res.size
        out |= event_timings(engine, timed, repeat, "pg_event_")
        engine.dispose()
    finally:
        drop_database(url)
    return out


def same_summary(a: Any, b: Any) -> bool:
    """The two summaries agree (means up to float summation order, which differs by plan)."""
    da, db = a.model_dump(), b.model_dump()
    means = [(da.pop(k), db.pop(k)) for k in ("mean_churn_risk", "mean_ltv_12m")]
    close = all(x == y or abs(x - y) <= 1e-9 * abs(y) for x, y in means)
    return bool(da == db and close)

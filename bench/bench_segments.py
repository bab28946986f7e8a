"""Segment preview latency at 1M profiles on the embedded store, against a DuckDB floor.

Builds a synthetic ``traits`` table (numpy generator, raw ``sqlite3`` bulk insert, the migrated
schema and indexes, summaries and hashes as wide as real ones) plus the ``users`` table the
canonical-user filter reads (2% extra merged records), then times ``preview_segment`` on a
realistic spec and on everyone, on the store (``columnar=False``) and on the DuckDB columnar
copy (:mod:`userops.cdp.segments.columnar`, refreshed as a profile build does). The reference
floor is the same one-pass aggregate hand-written in DuckDB (in-memory, loaded from a CSV of
the same rows; no extension download). ``BENCH_SEGMENTS_USERS`` scales it down. Then events
and event-predicate previews on the store, and the same previews on PostgreSQL when it is
reachable (:mod:`bench.segments_sql`; ``BENCH_SEGMENTS_EVENTS``, ``BENCH_SEGMENTS_PG=0``).
``BENCH_SEGMENTS_REUSE=1`` keeps the SQLite store and CSV of each size under
``bench/out/segments/u<users>_e<events>/`` and reuses them (``build_s`` is then 0).
"""

from __future__ import annotations

import csv
import os
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bench.segments_sql import (
    backfill_s,
    event_timings,
    load_sqlite_events,
    run_pg,
    same_summary,
)
from userops.cdp.segments.columnar import refresh_columnar_copy
from userops.cdp.segments.service import parse_spec, preview_segment
from userops.domain import CHANNELS
from userops.store.engine import make_engine, upgrade

N = int(os.environ.get("BENCH_SEGMENTS_USERS", "1000000"))
REPEAT = int(os.environ.get("BENCH_SEGMENTS_REPEAT", "20"))
AS_OF = 1_780_000_000
STAGES = ["new", "growing", "mature", "churn_risk", "churned", "reactivated"]
TIERS = ["high", "mid", "low"]
REGIONS = [f"city_{i:02d}" for i in range(30)]
INTERESTS = ["skincare", "coffee", "tea", "baby", "pets", "sports", "books", "snacks"]
REACH_P = {"sms": 0.7, "app_push": 0.5, "email": 0.3, "wechat_template": 0.4, "wecom": 0.1,
           "miniprogram": 0.2, "voice_call": 0.05, "webhook": 0.0}  # fmt: skip
SPEC = {
    "all": [
        {"field": "days_since_last_order", "op": ">=", "value": 60},
        {"field": "ltv_tier", "op": "in", "value": ["high", "mid"]},
        {"field": "reachable_channels", "op": "contains", "value": "sms"},
    ]
}
COLUMNS = (
    "user_id as_of_ts language region timezone days_since_signup lifecycle_stage "
    "days_since_last_order orders_90d orders_total monetary_365d aov rfm_segment p_alive "
    "expected_orders_90d ltv_12m ltv_tier churn_risk preferred_channel reachable_channels "
    "interests price_sensitivity content_affinity contacts_7d summary summary_hash indexed_hash"
).split()
FILLER = (
    "最近一次下单在{d}天前，近90天下单若干次，客单价约{a}元。偏好内容：优惠。价格敏感度中等。"
    "可触达渠道：短信、App推送。近期反馈：配送、价格。满意度4.2/5。"
)
"""Pads the synthetic summary to the ~300 UTF-8 bytes of a real one (row width matters)."""


def _delimited(mask: np.ndarray, names: list[str]) -> list[str]:
    """Map bit masks to ``,a,b,`` strings through a lookup table."""
    table = []
    for m in range(1 << len(names)):
        parts = [n for i, n in enumerate(names) if m >> i & 1]
        table.append("," + ",".join(parts) + "," if parts else "")
    return [table[m] for m in mask.tolist()]


def _trait_rows(start: int, n: int, rng: np.random.Generator) -> Iterator[tuple[Any, ...]]:
    ids = np.arange(start, start + n)
    reach_mask = np.zeros(n, dtype=np.int64)
    for i, ch in enumerate(CHANNELS):
        reach_mask |= (rng.random(n) < REACH_P[ch]).astype(np.int64) << i
    interest_mask = rng.integers(0, 1 << len(INTERESTS), n)
    dslo = rng.integers(0, 720, n).tolist()
    never = (rng.random(n) < 0.15).tolist()
    region_idx = rng.integers(0, len(REGIONS) + 1, n).tolist()
    pref_idx = rng.integers(0, len(CHANNELS) + 1, n).tolist()
    churn = rng.beta(2, 3, n)
    ltv = rng.lognormal(5, 1, n)
    stage = rng.choice(len(STAGES), n, p=[0.1, 0.15, 0.3, 0.2, 0.15, 0.1]).tolist()
    tier = rng.choice(3, n, p=[0.2, 0.3, 0.5]).tolist()
    cols: dict[str, list[Any]] = {
        "user_id": ids.tolist(),
        "days_since_signup": rng.integers(1, 2000, n).tolist(),
        "lifecycle_stage": [STAGES[i] for i in stage],
        "days_since_last_order": [None if nv else d for d, nv in zip(dslo, never, strict=True)],
        "orders_90d": rng.poisson(1, n).tolist(),
        "orders_total": rng.poisson(6, n).tolist(),
        "monetary_365d": np.round(ltv * 0.8, 2).tolist(),
        "aov": np.round(rng.lognormal(4, 0.5, n), 2).tolist(),
        "p_alive": np.round(1 - churn, 4).tolist(),
        "expected_orders_90d": np.round(rng.gamma(1, 1, n), 3).tolist(),
        "ltv_12m": np.round(ltv, 2).tolist(),
        "ltv_tier": [TIERS[i] for i in tier],
        "churn_risk": np.round(churn, 4).tolist(),
        "region": [REGIONS[i] if i < len(REGIONS) else None for i in region_idx],
        "preferred_channel": [CHANNELS[i] if i < len(CHANNELS) else None for i in pref_idx],
        "reachable_channels": _delimited(reach_mask, list(CHANNELS)),
        "interests": _delimited(interest_mask, INTERESTS),
        "price_sensitivity": np.round(rng.random(n), 3).tolist(),
        "contacts_7d": rng.integers(0, 4, n).tolist(),
    }
    for i in range(n):
        stage_name, tier_name = cols["lifecycle_stage"][i], cols["ltv_tier"][i]
        yield (
            cols["user_id"][i], AS_OF, "zh", cols["region"][i], "Asia/Shanghai",
            cols["days_since_signup"][i], stage_name, cols["days_since_last_order"][i],
            cols["orders_90d"][i], cols["orders_total"][i], cols["monetary_365d"][i],
            cols["aov"][i], "loyal", cols["p_alive"][i], cols["expected_orders_90d"][i],
            cols["ltv_12m"][i], tier_name, cols["churn_risk"][i], cols["preferred_channel"][i],
            cols["reachable_channels"][i], cols["interests"][i], cols["price_sensitivity"][i],
            "offer", cols["contacts_7d"][i],
            f"{stage_name}，{tier_name}。" + FILLER.format(d=i % 400, a=i % 300),
            f"{i:040x}", f"{i:040x}",
        )  # fmt: skip


def build(db: Path, csv_path: Path, n: int) -> float:
    """Create the store at ``db`` with ``n`` trait rows (and the CSV copy); return seconds."""
    t0 = time.perf_counter()
    db.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)  # migrated like a deployment: the event_counts triggers too
    engine.dispose()
    rng = np.random.default_rng(7)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    merged = n // 50
    users = ((i, f"u{i}", AS_OF - 86400, "Asia/Shanghai", "zh", 0, None) for i in range(1, n + 1))
    extra = ((n + j, f"m{j}", AS_OF, "Asia/Shanghai", "zh", 0, 1 + (j * 37) % n)
             for j in range(1, merged + 1))  # fmt: skip
    sql_u = ("INSERT INTO users (id, external_id, created_ts, timezone, language, "
             "do_not_contact, merged_into) VALUES (?,?,?,?,?,?,?)")  # fmt: skip
    con.executemany(sql_u, users)
    con.executemany(sql_u, extra)
    sql_t = f"INSERT INTO traits ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for start in range(1, n + 1, 200_000):
            chunk = list(_trait_rows(start, min(200_000, n + 1 - start), rng))
            con.executemany(sql_t, chunk)
            writer.writerows(chunk)
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return time.perf_counter() - t0


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, float, Any]:
    """Return wall p50, wall p95 and CPU p50 (ms) of ``repeat`` calls, and the last result.

    CPU time (this process, all threads) is reported next to wall time because the shared
    machine may be loaded: for single-threaded SQLite it is the cost without waiting.
    """
    fn()  # warm the page cache
    times, cpu, result = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, statistics.median(cpu), result


def duckdb_query() -> str:
    """The preview's one-pass aggregate, hand-written for DuckDB."""
    reach = ", ".join(
        f"sum(CASE WHEN reachable_channels LIKE '%,{c},%' THEN 1 ELSE 0 END)" for c in CHANNELS
    )
    groups = [("lifecycle_stage", STAGES), ("ltv_tier", TIERS), ("preferred_channel", CHANNELS)]
    dists = ", ".join(
        f"sum(CASE WHEN {col} = '{v}' THEN 1 ELSE 0 END)" for col, vals in groups for v in vals
    )
    where = (
        "days_since_last_order >= 60 AND ltv_tier IN ('high', 'mid') "
        "AND reachable_channels LIKE '%,sms,%'"
    )
    return (
        f"SELECT region, count(*), sum(churn_risk), sum(ltv_12m), {reach}, {dists} "
        f"FROM traits WHERE {where} GROUP BY region"
    )


def run(workdir: Path) -> dict[str, Any]:
    """Build the data, time SQLite and columnar previews and the DuckDB floor; flat metrics."""
    import duckdb

    n_events = int(os.environ.get("BENCH_SEGMENTS_EVENTS", str(N)))
    reuse = os.environ.get("BENCH_SEGMENTS_REUSE", "0") == "1"
    if reuse:  # one store per size, kept under bench/out (the 10M-event build takes minutes)
        workdir = workdir / f"u{N}_e{n_events}"
    workdir.mkdir(parents=True, exist_ok=True)
    db, csv_path, marker = workdir / "segments.db", workdir / "traits.csv", workdir / "built"
    build_s = events_s = 0.0
    backfill = [0.0, 0.0]
    if not (reuse and marker.exists()):
        marker.unlink(missing_ok=True)
        build_s = build(db, csv_path, N)
        events_s, *backfill = load_sqlite_events(db, N, n_events)
        marker.write_text(f"{N} {n_events}\n")
    engine = make_engine(f"sqlite:///{db}")
    if not events_s and os.environ.get("BENCH_SEGMENTS_BACKFILL", "1") != "0":
        backfill = list(backfill_s(engine))  # a reused store: time the backfill again
    c0, t0 = time.process_time(), time.perf_counter()
    refresh_columnar_copy(engine)
    copy_s, copy_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    spec, everyone = parse_spec(SPEC), parse_spec({"all": []})
    few = max(REPEAT // 4, 1)
    sq = _timed(lambda: preview_segment(engine, spec, columnar=False), few)
    sq_all = _timed(lambda: preview_segment(engine, everyone, columnar=False), few)
    col = _timed(lambda: preview_segment(engine, spec, columnar=True), REPEAT)
    col_all = _timed(lambda: preview_segment(engine, everyone, columnar=True), REPEAT)
    events = event_timings(engine, _timed, few, "sqlite_event_")
    engine.dispose()
    con = duckdb.connect()
    con.execute(f"CREATE TABLE traits AS SELECT * FROM read_csv('{csv_path}', header=true)")
    query = duckdb_query()
    floor = _timed(lambda: con.execute(query).fetchall(), REPEAT)
    con.close()
    duck_size = sum(int(r[1]) for r in floor[3])
    pg: dict[str, Any] = {}
    if os.environ.get("BENCH_SEGMENTS_PG", "1") != "0":
        specs = {"preview": spec, "preview_everyone": everyone}
        pg = run_pg(csv_path, COLUMNS, N, n_events, specs, _timed)
    metrics: dict[str, Any] = {
        "profiles": N,
        "events": n_events,
        "events_load_s": round(events_s, 1),
        "counts_backfill_s": round(backfill[0], 1),
        "counts_backfill_cpu_s": round(backfill[1], 1),
        "build_s": round(build_s, 1),
        "columnar_copy_s": round(copy_s, 1),
        "columnar_copy_cpu_s": round(copy_cpu_s, 1),
        "segment_size": sq[3].size,
        "everyone_size": sq_all[3].size,
        "duckdb_size_matches": duck_size == sq[3].size == col[3].size,
        "same_summary_both_paths": same_summary(sq[3], col[3])
        and same_summary(sq_all[3], col_all[3]),
    }
    for name, (p50, p95, cpu50, _) in {
        "sqlite_preview": sq,
        "sqlite_preview_everyone": sq_all,
        "columnar_preview": col,
        "columnar_preview_everyone": col_all,
        "duckdb_floor": floor,
    }.items():
        metrics |= {f"{name}_p50_ms": round(p50, 1), f"{name}_p95_ms": round(p95, 1)}
        metrics[f"{name}_cpu_p50_ms"] = round(cpu50, 1)
    ratio = lambda x, f: round(x / f, 2) if f else None  # noqa: E731
    return (
        metrics
        | events
        | pg
        | {
            "load_avg_1m": round(os.getloadavg()[0], 1),
            "cpus": os.cpu_count(),
            "ratio_sqlite_over_floor_p50": ratio(sq[0], floor[0]),
            "ratio_sqlite_over_floor_cpu_p50": ratio(sq[2], floor[2]),
            "ratio_pg_over_floor_p50": ratio(pg.get("pg_preview_p50_ms", 0), floor[0]),
            "goal_ratio": 3,
            "ratio_columnar_over_floor_p50": round(col[0] / floor[0], 2) if floor[0] else None,
            "goal_p50_ms": 250,
            "goal_met_sqlite": sq[0] <= 250,
            "goal_met_columnar": col[0] <= 250,
        }
    )


def ratio(x: float, floor: float) -> float | None:
    """``x`` over the floor (two decimals), None without a floor or a figure."""
    return round(x / floor, 2) if floor and x else None

"""Journeys: event → message enqueued latency under sustained load, timers advanced per second.

``BENCH_JOURNEYS_USERS`` users with SMS consent (default 200,000; the goal's 1M seeds in
minutes on this machine, set it to measure there), ``BENCH_JOURNEYS_LIVE`` live journeys
(default 10), each entered by its own event and sending one SMS at once.

* **latency**: a producer process inserts events at ``BENCH_JOURNEYS_RATE`` per second
  (default 1,000) for ``BENCH_JOURNEYS_SECONDS`` (default 20), each stamped with its wall
  time, round-robin over the journeys, one per user; the journeys' workers tick meanwhile
  (one on SQLite; ``BENCH_JOURNEYS_PG_WORKERS``, default 3, on PostgreSQL). An event's latency
  is from its insert to the end of the tick that enqueued its message (p50 / p95 / max).
* **forecast**: on SQLite, a 90-day history (every user signs up once, a quarter order)
  and one forecast of a welcome journey with a goal, a wait-for-event and a split.
* **timers**: ``BENCH_JOURNEYS_TIMERS`` members (default 100,000) wait at a due timer of
  an 11th journey (wait → exit); the workers advance them all: waiting users per second.

SQLite runs in a temporary file; PostgreSQL in a database of its own next to
``USEROPS_TEST_PG_URL`` (skipped when none answers). Figures go to bench/out/journeys.json
with CPU seconds (this process and its workers) and the load average.
``BENCH_JOURNEYS_ONLY=pg_timers`` runs only the PostgreSQL timers (no latency, no SQLite).
"""

from __future__ import annotations

import bisect
import json
import multiprocessing
import os
import resource
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench.bench_dispatch import _setup
from userops.dispatch.policy import Policy
from userops.journeys.parse import parse_journey
from userops.journeys.records import approve, create_journey
from userops.journeys.runner import JourneyRunner
from userops.store.engine import make_engine

SMS = "【优选】{name}，欢迎加入，回T退订"
POLICY = Policy.with_overrides({"quiet_hours": None, "batch_size": 5000, "frequency_caps": {}})
HERE = Path(__file__).parent


def _spec(k: int) -> str:
    send = {"kind": "send", "id": "hello", "channels": ["sms"], "next": "done",
            "variants": [{"variant_id": "w", "channel": "sms", "body": SMS}]}  # fmt: skip
    return json.dumps(
        {
            "name": f"bench {k}",
            "trigger": {"kind": "event", "event": f"Bench Event {k}"},
            "nodes": [send, {"kind": "exit", "id": "done"}],
        }  # fmt: skip
    )


TIMER_SPEC = json.dumps(
    {
        "name": "bench timers",
        "trigger": {"kind": "event", "event": "Bench Timer"},
        "nodes": [
            {"kind": "wait", "id": "w", "duration": {"hours": 1}, "next": "done"},
            {"kind": "exit", "id": "done"},
        ],
    }
)


def _live(engine: Engine, data: str) -> str:
    jid = str(create_journey(engine, parse_journey(data), actor="bench")["id"])
    approve(engine, jid, actor="bench-approver")
    return jid


def _produce(url: str, rate: int, seconds: float, journeys: int, users: int) -> None:
    engine = make_engine(url)
    stmt = text("INSERT INTO events (user_id, type, ts, properties) VALUES (:u, 'custom', :ts, :p)")
    t0, sent, tick = time.time(), 0, 0.05
    while time.time() - t0 < seconds:
        due = int((time.time() - t0) * rate)
        rows = []
        now = time.time()
        for i in range(sent, min(due, users)):
            props = json.dumps({"event": f"Bench Event {i % journeys}", "t": now})
            rows.append({"u": i + 1, "ts": int(now), "p": props})
        if rows:
            with engine.begin() as conn:
                conn.execute(stmt, rows)
            sent += len(rows)
        time.sleep(tick)
    engine.dispose()


def _tick_loop(url: str, until: float, out: Any) -> None:
    """Tick the journeys until ``until``; put ``(outbox max id, wall time)`` after each tick."""
    engine = make_engine(url)
    runner = JourneyRunner(engine, policy=POLICY)
    marks = []
    while time.time() < until:
        if runner.tick() == 0:
            time.sleep(0.01)
        with engine.connect() as conn:
            top = conn.execute(text("SELECT coalesce(max(id), 0) FROM outbox")).scalar_one()
        marks.append((int(top), time.time()))
    out.put(marks)
    engine.dispose()


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(q * len(xs)))], 3) if xs else 0.0


def latency(
    url: str, workers: int, *, rate: int, seconds: float, live: int, users: int
) -> dict[str, Any]:
    """Run the producer and the workers; return latency percentiles and counts."""
    engine = make_engine(url)
    with engine.connect() as conn:
        first = conn.execute(text("SELECT coalesce(max(id), 0) FROM events")).scalar_one()
    engine.dispose()
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    until = time.time() + seconds + 5
    procs = [ctx.Process(target=_tick_loop, args=(url, until, q)) for _ in range(workers)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for p in procs:
        p.start()
    prod = ctx.Process(target=_produce, args=(url, rate, seconds, live, users))
    prod.start()
    marks = sorted(m for _ in procs for m in q.get())
    for p in [*procs, prod]:
        p.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    engine = make_engine(url)
    with engine.connect() as conn:
        got = conn.execute(
            text(
                "SELECT o.id, e.properties FROM outbox o JOIN events e ON e.user_id = o.user_id"
                " WHERE e.id > :lo AND o.campaign_id LIKE 'j-%'"
            ),
            {"lo": first},
        ).all()
        n_events = conn.execute(
            text("SELECT count(*) FROM events WHERE id > :lo"), {"lo": first}
        ).scalar_one()
    engine.dispose()
    tops = [top for top, _ in marks]
    lat = []
    for oid, props in got:
        body = props if isinstance(props, dict) else json.loads(props)
        i = bisect.bisect_left(tops, oid)  # the first tick after which the row was there
        if i < len(marks) and "t" in body:
            lat.append(marks[i][1] - float(body["t"]))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "events": int(n_events), "enqueued": len(lat), "p50_s": _pct(lat, 0.5),
        "p95_s": _pct(lat, 0.95), "max_s": _pct(lat, 1.0),
        "events_per_s": round(int(n_events) / seconds), "cpu_s": round(cpu, 2),
    }  # fmt: skip


def _timer_work(url: str) -> None:
    engine = make_engine(url)
    runner = JourneyRunner(engine, policy=POLICY, clock=lambda: time.time() + 7200)
    idle = 0
    while idle < 3:
        idle = idle + 1 if runner.tick() == 0 else 0
    engine.dispose()


def timers(url: str, workers: int, n: int) -> dict[str, Any]:
    """Seed ``n`` members due at a wait; return waiting users advanced per second."""
    engine = make_engine(url)
    jid = _live(engine, TIMER_SPEC)
    now = int(time.time())
    with engine.begin() as conn:
        vid = conn.execute(
            text("SELECT id FROM journey_versions WHERE journey_id = :j"), {"j": jid}
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO journey_members (version_id, journey_id, user_id, entry_no,"
                " entry_key, node_id, visit, state, due_ts, entered_ts, since_ts, entry_event,"
                " node_event, sends) VALUES (:v, :j, :u, 1, :k, 'w', 0, 'active', :d, :d, :d,"
                " 0, 0, 0)"
            ),
            [{"v": vid, "j": jid, "u": u, "k": f"t{u}", "d": now} for u in range(1, n + 1)],
        )
    engine.dispose()
    ctx = multiprocessing.get_context("fork")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    procs = [ctx.Process(target=_timer_work, args=(url,)) for _ in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    engine = make_engine(url)
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM journey_members WHERE journey_id = :j AND state = 'active'"),
            {"j": jid},
        ).scalar_one()
    engine.dispose()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"members": n, "left_active": int(left), "wall_s": round(wall, 2),
            "per_s": round(n / wall), "cpu_s": round(cpu, 2),
            "per_worker_cpu_s": round(n / cpu) if cpu else 0}  # fmt: skip


FORECAST_SPEC = {
    "name": "welcome", "trigger": {"kind": "event", "event": "Signed Up"},
    "goal": {"event": "Order Completed"},
    "nodes": [
        {"kind": "send", "id": "hello", "channels": ["sms"], "next": "wait1",
         "variants": [{"variant_id": "w1", "channel": "sms", "body": SMS}]},
        {"kind": "wait", "id": "wait1", "duration": {"days": 1}, "next": "order"},
        {"kind": "wait_for_event", "id": "order", "event": {"event": "Order Completed"},
         "timeout": {"days": 3}, "happened": "done", "timed_out": "nudge"},
        {"kind": "send", "id": "nudge", "channels": ["sms"], "next": "ab",
         "variants": [{"variant_id": "n1", "channel": "sms", "body": SMS}]},
        {"kind": "split", "id": "ab", "holdout": 0.1, "arms": [
            {"name": "a", "weight": 1, "next": "done"},
            {"name": "b", "weight": 1, "next": "done"}]},
        {"kind": "exit", "id": "done"},
    ],
}  # fmt: skip


def _forecast(db: Path, users: int) -> dict[str, Any]:
    """A 90-day history (every user signs up once, a quarter order), then one forecast."""
    import random
    import sqlite3

    from userops.journeys.forecast import forecast

    now, rng = int(time.time()), random.Random(16)
    con = sqlite3.connect(db)
    rows = []
    for u in range(1, users + 1):
        ts = now - rng.randrange(0, 90 * 86400)
        rows.append((u, "custom", ts, json.dumps({"event": "Signed Up"})))
        if u % 4 == 0:
            rows.append((u, "order", ts + rng.randrange(3600, 6 * 86400), "{}"))
    con.executemany("INSERT INTO events (user_id, type, ts, properties) VALUES (?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    engine = make_engine(f"sqlite:///{db}")
    t0, c0 = time.perf_counter(), time.process_time()
    fc = forecast(engine, parse_journey(json.dumps(FORECAST_SPEC)), now=now, policy=POLICY)
    engine.dispose()
    return {
        "forecast_s": round(time.perf_counter() - t0, 2),
        "forecast_cpu_s": round(time.process_time() - c0, 2),
        "forecast_entries": fc.entries, "forecast_messages": fc.messages,
        "forecast_goal_exits": fc.goal_exits,
    }  # fmt: skip


def _flat(prefix: str, d: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}_{k}": v for k, v in d.items()}


def _run_one(url: str, workers: int, knobs: dict[str, int]) -> dict[str, Any]:
    engine = make_engine(url)
    for k in range(knobs["live"]):
        _live(engine, _spec(k))
    engine.dispose()
    out: dict[str, Any] = {}
    if knobs["seconds"]:
        out = _flat("latency", latency(url, workers, rate=knobs["rate"], seconds=knobs["seconds"],
                                       live=knobs["live"], users=knobs["users"]))  # fmt: skip
    out.update(_flat("timers", timers(url, workers, knobs["timers"])))
    out["load_avg_1m"] = round(os.getloadavg()[0], 2)
    return out


def run(workdir: Path) -> dict[str, Any]:
    """SQLite (one worker), then PostgreSQL (several); write bench/out/journeys.json."""
    env = os.environ.get
    knobs = {
        "users": int(env("BENCH_JOURNEYS_USERS", "200000")),
        "live": int(env("BENCH_JOURNEYS_LIVE", "10")),
        "rate": int(env("BENCH_JOURNEYS_RATE", "1000")),
        "seconds": int(env("BENCH_JOURNEYS_SECONDS", "20")),
        "timers": int(env("BENCH_JOURNEYS_TIMERS", "100000")),
    }
    pg_workers = int(env("BENCH_JOURNEYS_PG_WORKERS", "3"))
    workdir.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {**knobs, "cpus": os.cpu_count(), "load_avg_start": os.getloadavg()[0]}
    t0, c0 = time.perf_counter(), time.process_time()
    if env("BENCH_JOURNEYS_ONLY", "") == "pg_timers":  # iterate on the PG timers quickly
        knobs["seconds"] = 0
        out.update(_pg(knobs, pg_workers))
        out["load_avg_end"] = os.getloadavg()[0]
        return out
    db = workdir / "journeys.db"
    for p in workdir.glob("journeys.db*"):
        p.unlink()
    _setup(db, knobs["users"])
    out["sqlite_setup_s"] = round(time.perf_counter() - t0, 1)
    out.update(_forecast(db, knobs["users"]))
    out.update(_flat("sqlite", _run_one(f"sqlite:///{db}", 1, knobs)))
    for p in workdir.glob("journeys.db*"):
        p.unlink()
    if env("BENCH_JOURNEYS_PG", "1") == "1":
        out.update(_pg(knobs, pg_workers))
    out["wall_s"] = round(time.perf_counter() - t0, 1)
    out["main_cpu_s"] = round(time.process_time() - c0, 2)
    out["load_avg_end"] = os.getloadavg()[0]
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "journeys.json").write_text(json.dumps(out, indent=2))
    return out


def _pg(knobs: dict[str, int], workers: int) -> dict[str, Any]:
    from scripts.chaos_setup import PG_ADMIN_URL, create_database, drop_database, seed

    try:
        url = create_database()
    except Exception as exc:  # no server here: say so instead of failing the whole bench run
        return {"pg_skipped": f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"}
    try:
        t0 = time.perf_counter()
        seed(url, knobs["users"]).dispose()
        out = {"pg_setup_s": round(time.perf_counter() - t0, 1), "pg_workers": workers}
        out.update(_flat("pg", _run_one(url, workers, knobs)))
        return out
    finally:
        drop_database(url)

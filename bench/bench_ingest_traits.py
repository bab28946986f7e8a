"""Event -> trait latency through real-time ingestion, as ``userops serve`` runs it.

The built store of ``bench_trait_latency`` (made once there) is copied. Events arrive at
``RATE`` per second for ``SECONDS`` seconds on random user records as Segment messages
(orders, pages, app opens, e-mails, feedback); every ``WINDOW_MS`` those that arrived are
sent as one batch through :func:`userops.cdp.stream.batch.ingest` (validation, the write and
the durable trait mark, committed together) and the profile-update thread is woken, as the
route does after its answer. The thread runs :func:`userops.cdp.traits.due.catch_up`
(at most one start per ``PERIOD_S``, queued with the requests on the store's lock). An
event's latency runs from its arrival to the commit of the catch-up that applied its batch's
mark: the first catch-up that began after the batch's commit (a catch-up applies every mark
committed before it began). Beside the latencies: the CPU seconds of the catch-ups and of
the ingest calls (per event), the store's size and the load average before and after; the
figures also go to ``bench/out/ingest_traits.json``.

Environment: ``BENCH_TRAIT_LATENCY_USERS`` (100000; the goal is stated for 1000000, whose
built store takes ~7 minutes and 2.1 GB the first time), ``BENCH_INGEST_TRAITS_RATE``
(1000), ``BENCH_INGEST_TRAITS_SECONDS`` (20), ``BENCH_INGEST_TRAITS_WINDOW_MS`` (100).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import json  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import orjson  # noqa: E402

from bench.bench_profiles import AS_OF_TS  # noqa: E402
from bench.bench_trait_latency import (  # noqa: E402
    NOON,
    NOW,
    _built_store,
    _pct,
    _user_count,
    scratch_copy,
)

KINDS = (
    ("Order Completed", 0.1),
    ("page", 0.4),
    ("Application Opened", 0.15),
    ("Email Delivered", 0.2),
    ("Email Opened", 0.1),
    ("Feedback Submitted", 0.05),
)


def _env(name: str, default: int) -> int:
    return int(os.environ.get(f"BENCH_INGEST_TRAITS_{name}", str(default)))


def _messages(n: int, users: int, rate: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(11)
    kinds = rng.choice(len(KINDS), n, p=[p for _, p in KINDS])
    uids = rng.integers(1, users + 1, n)
    out = []
    for k, (kind, uid) in enumerate(zip(kinds.tolist(), uids.tolist(), strict=True)):
        name = KINDS[kind][0]
        ts = datetime.fromtimestamp(AS_OF_TS + NOON + k // rate, UTC).isoformat()
        msg: dict[str, Any] = {"userId": f"bench:{uid}", "messageId": f"m{k}", "timestamp": ts}
        if name == "page":
            msg.update(type="page", name="Tutorial", properties={"content_type": "tutorial"})
        else:
            msg.update(type="track", event=name, properties={})
        if name == "Order Completed":
            price = round(float(rng.gamma(6.0, 25.0)), 2)
            msg["properties"] = {"products": [{"sku": "s-tea", "price": price, "quantity": 1}]}
        elif name == "Feedback Submitted":
            msg["properties"] = {"rating": int(rng.integers(1, 6))}
        out.append(msg)
    return out


def _run(path: Path, rate: int, seconds: int, window: float) -> dict[str, Any]:
    from userops.cdp.stream import profiles
    from userops.cdp.stream.batch import ingest
    from userops.cdp.stream.sources import add_source, authenticate
    from userops.cdp.traits.due import catch_up
    from userops.cdp.traits.incremental import apply_events  # noqa: F401 (a server has it)
    from userops.store.engine import make_engine, upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    sender = authenticate(engine, add_source(engine, "bench", "app")[1])
    assert sender is not None
    total = rate * seconds
    messages = _messages(total, _user_count(engine), rate)
    runs: list[tuple[float, float]] = []
    marks: list[int] = []

    update_cpu: list[float] = []

    def work(eng: Any) -> None:
        began, cpu0 = time.perf_counter(), time.thread_time()
        done = catch_up(eng, now=NOW)
        runs.append((began, time.perf_counter()))
        update_cpu.append(time.thread_time() - cpu0)
        marks.append(done.marks)

    updater = profiles.ProfileUpdates(engine, work)
    sent: list[tuple[int, int, float]] = []  # (first, last + 1, commit time)
    ingest_s: list[float] = []
    ingest_cpu = 0.0
    load0 = os.getloadavg()[0]
    done = 0
    start = time.perf_counter()
    next_tick = start
    while done < total:
        now = time.perf_counter()
        if now < next_tick:
            time.sleep(next_tick - now)
        arrived = min(total, int((time.perf_counter() - start) * rate))
        next_tick += window
        if arrived <= done:
            continue
        body = orjson.dumps({"batch": messages[done:arrived]})
        t0, cpu0 = time.perf_counter(), time.thread_time()
        out = ingest(engine, sender, body)
        assert out.stored == arrived - done and not out.rejected, out.to_dict()
        ingest_s.append(time.perf_counter() - t0)
        ingest_cpu += time.thread_time() - cpu0
        sent.append((done, arrived, time.perf_counter()))
        updater.wake()
        done = arrived
    assert updater.wait_idle(120)
    latencies: list[float] = []
    for first, last, committed in sent:
        end = next(e for b, e in runs if b >= committed)
        latencies.extend(end - start - k / rate for k in range(first, last))
    engine.dispose()
    return {
        "events": total,
        "rate_target": rate,
        "latency_p50_ms": _pct(latencies, 50),
        "latency_p95_ms": _pct(latencies, 95),
        "latency_max_ms": _pct(latencies, 100),
        "ingest_p50_ms": _pct(ingest_s, 50),
        "catch_up_p50_ms": _pct([e - b for b, e in runs], 50),
        "catch_up_p95_ms": _pct([e - b for b, e in runs], 95),
        "catch_ups": len(runs),
        "marks_per_catch_up_p50": int(np.percentile(marks, 50)) if marks else 0,
        "catch_up_cpu_s": round(sum(update_cpu), 2),
        "catch_up_cpu_ms_per_event": round(1000 * sum(update_cpu) / total, 3),
        "ingest_cpu_ms_per_event": round(1000 * ingest_cpu / total, 3),
        "elapsed_s": round(time.perf_counter() - start, 2),
        "period_ms": int(profiles.PERIOD_S * 1000),
        "load_avg_1m": f"{load0:.2f} -> {os.getloadavg()[0]:.2f}",
    }


def run(workdir: Path) -> dict[str, Any]:
    """Copy the built store of ``bench_trait_latency`` and time ingestion -> traits."""
    workdir.mkdir(parents=True, exist_ok=True)
    users = int(os.environ.get("BENCH_TRAIT_LATENCY_USERS", "100000"))
    out: dict[str, Any] = {"users": users}
    base = _built_store(workdir.parent / "trait_latency", users, out)
    out["store_mb"] = round(base.stat().st_size / 1e6)
    window = _env("WINDOW_MS", 100) / 1000.0
    out["window_ms"] = int(window * 1000)
    with scratch_copy(base, workdir / f"run_{users}.db") as scratch:
        out.update(_run(scratch, _env("RATE", 1000), _env("SECONDS", 20), window))
    (workdir.parent / "ingest_traits.json").write_text(json.dumps(out, indent=1))
    return out

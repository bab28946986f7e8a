"""HTTP API: approvals-list requests/s and 200 concurrent SSE streams held open.

A real ``userops serve --no-access-log`` on a fresh SQLite store with 300 pending approvals,
once per ``--workers`` value. The list load comes from :mod:`bench.http_load` (keep-alive,
light); its CPU and the server's (all worker processes) are reported with the 1-minute load
average, since the load generator shares the machine with the server. While the SSE streams
are held, this process records progress events on the followed threads (as a run on another
worker would) and the streams report how long each took to arrive (the store poller's delay).
Env: ``BENCH_API_WORKERS`` (``1,2``), ``BENCH_API_LIST_S`` (list load duration, default 10),
``BENCH_API_CONCURRENCY`` (16), ``BENCH_SSE_STREAMS`` (200), ``BENCH_SSE_HOLD_S`` (60).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.http_load import get_load, pct


def _setup(home: Path) -> str:
    from userops.accounts import add_user
    from userops.approvals import records as approvals
    from userops.store.engine import open_store

    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    engine = open_store(f"sqlite:///{home / 'userops.db'}")
    _, token = add_user(engine, "bench", "admin")
    from sqlalchemy import insert

    from userops.store.models import Campaign

    with engine.begin() as conn:
        conn.execute(
            insert(Campaign.__table__), [{"id": f"c{i}", "name": f"bench {i}"} for i in range(30)]
        )
    card = {"plan": {"name": "bench", "steps": []}, "preflight": {"cost": 1.0}, "previews": []}
    for i in range(300):
        approvals.create_request(
            engine,
            approval_id=f"a{i:04d}",
            campaign_id=f"c{i % 30}",
            thread_id=None,
            revision=1,
            card=card,
            risk_tier="medium",
            requested_by="olivia",
        )
    engine.dispose()
    return token


def _serve(home: Path, workers: int) -> tuple[subprocess.Popen[bytes], str, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "USEROPS_HOME": str(home), "USEROPS_EMBEDDING": "hashing"}
    env.pop("USEROPS_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "userops.cli.main", "serve", "--port", str(port)]
    cmd += ["--workers", str(workers), "--no-access-log"]
    proc = subprocess.Popen(cmd, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return proc, url, port
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


LIST = "/v1/approvals?status=pending&limit=50"
THREADS = 20
"""Threads the SSE streams follow (streams share them)."""


async def _one_stream(client: httpx.AsyncClient, i: int, hold: float, out: dict[str, Any]) -> None:
    t0 = time.perf_counter()
    last = None
    kind = ""
    async with client.stream(
        "GET", f"/v1/threads/bench-{i % THREADS}/events", params={"heartbeat": 1.0}
    ) as r:
        async for line in r.aiter_lines():
            if line.startswith("data: ") and kind == "progress":
                out["delays"].append(time.time() - json.loads(line[6:])["t"])
            if not line.startswith("event: "):
                continue
            kind = line[7:]
            now = time.perf_counter()
            if last is None:
                out["first"].append(now - t0)
            else:
                out["gaps"].append(now - last)
            last = now
            if now - t0 >= hold:
                out["held"] += 1
                return


def _writer(home: Path, stop: float, every: float) -> int:
    """Record a progress event per followed thread every ``every`` s, as a run elsewhere would."""
    from userops.store.engine import make_engine
    from userops.threads import events as thread_events

    engine = make_engine(f"sqlite:///{home / 'userops.db'}")
    n = 0
    try:
        while time.perf_counter() < stop:
            for j in range(THREADS):
                data = {"node": "bench", "t": time.time()}
                thread_events.record(engine, f"bench-{j}", "progress", data)
                n += 1
            time.sleep(every)
    finally:
        engine.dispose()
    return n


async def _sse(
    home: Path, url: str, port: int, pid: int, token: str, n: int, hold: float
) -> dict[str, Any]:
    """Hold ``n`` streams on a 1-worker server while this process records thread events."""
    headers = {"Authorization": f"Bearer {token}"}
    out: dict[str, Any] = {"first": [], "gaps": [], "held": 0, "delays": []}
    limits = httpx.Limits(max_connections=n + 20, max_keepalive_connections=n + 20)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, timeout=hold + 30, limits=limits
    ) as client:
        streams = [asyncio.create_task(_one_stream(client, i, hold, out)) for i in range(n)]
        await asyncio.sleep(min(5.0, hold / 2))
        stop = time.perf_counter() + hold / 2
        written = asyncio.get_running_loop().run_in_executor(None, _writer, home, stop, 2.5)
        during = await get_load(port, LIST, token, min(5.0, hold / 4), 4, pid)
        results = await asyncio.gather(*streams, return_exceptions=True)
        recorded = await written
    late = [g - 1.0 for g in out["gaps"]]
    return {
        "sse_streams": n,
        "sse_hold_s": hold,
        "sse_streams_held": out["held"],
        "sse_stream_errors": sum(isinstance(r, Exception) for r in results),
        "sse_first_event_p95_ms": round(1000 * pct(out["first"], 0.95), 1),
        "sse_heartbeat_delay_p95_ms": round(1000 * pct(late, 0.95), 1),
        "sse_events_recorded_by_other_process": recorded,
        "sse_events_delivered": len(out["delays"]),
        "sse_events_expected": recorded // THREADS * n,
        "sse_cross_process_delay_p50_ms": round(1000 * pct(out["delays"], 0.5), 1),
        "sse_cross_process_delay_p95_ms": round(1000 * pct(out["delays"], 0.95), 1),
        "approvals_list_p95_ms_during_sse": during["p95_ms"],
        "approvals_list_rps_during_sse": during["rps"],
    }


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def run(workdir: Path) -> dict[str, Any]:
    """Measure the approvals list per worker count, then many SSE streams on one worker."""
    home = workdir / "home"
    token = _setup(home)
    seconds = float(os.environ.get("BENCH_API_LIST_S", 10))
    conc = int(os.environ.get("BENCH_API_CONCURRENCY", 16))
    metrics: dict[str, Any] = {"approvals_list_goal_rps": 500, "list_concurrency": conc}
    for workers in [int(w) for w in os.environ.get("BENCH_API_WORKERS", "1,2").split(",")]:
        proc, _, port = _serve(home, workers)
        try:
            warm = 1.0 + 2.0 * (workers - 1)  # every worker up and warm
            asyncio.run(get_load(port, LIST, token, warm, conc, proc.pid))
            got = asyncio.run(get_load(port, LIST, token, seconds, conc, proc.pid))
        finally:
            _stop(proc)
        metrics.update({f"list_w{workers}_{k}": v for k, v in got.items()})
    if "list_w1_rps" in metrics:
        metrics["approvals_list_rps"] = metrics["list_w1_rps"]
        metrics["approvals_list_p95_ms"] = metrics["list_w1_p95_ms"]
    proc, url, port = _serve(home, 1)
    try:
        n = int(os.environ.get("BENCH_SSE_STREAMS", 200))
        hold = float(os.environ.get("BENCH_SSE_HOLD_S", 60))
        metrics.update(asyncio.run(_sse(home, url, port, proc.pid, token, n, hold)))
    finally:
        _stop(proc)
    metrics["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    return metrics

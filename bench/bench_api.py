"""HTTP API: approvals-list requests/s and 200 concurrent SSE streams held open.

A real ``uvicorn`` process (one worker) on a fresh SQLite store with 300 pending approvals.
Env: ``BENCH_API_LIST_S`` (list load duration, default 10), ``BENCH_API_CONCURRENCY`` (16),
``BENCH_SSE_STREAMS`` (200), ``BENCH_SSE_HOLD_S`` (60).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def _setup(home: Path) -> str:
    from userops import approvals
    from userops.accounts import add_user
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


def _serve(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "USEROPS_HOME": str(home), "USEROPS_EMBEDDING": "hashing"}
    env.pop("USEROPS_DATABASE_URL", None)
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "userops.api.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


async def _list_load(
    url: str, headers: dict[str, str], seconds: float, conc: int
) -> dict[str, Any]:
    lat: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                r = await client.get("/v1/approvals", params={"status": "pending", "limit": 50})
                lat.append(time.perf_counter() - t0)
                errors += r.status_code != 200

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        wall = time.perf_counter() - t0
    return {
        "approvals_list_rps": round(len(lat) / wall, 1),
        "approvals_list_p50_ms": round(1000 * _p(lat, 0.5), 2),
        "approvals_list_p95_ms": round(1000 * _p(lat, 0.95), 2),
        "approvals_list_errors": errors,
    }


async def _one_stream(client: httpx.AsyncClient, i: int, hold: float, out: dict[str, Any]) -> None:
    t0 = time.perf_counter()
    last = None
    async with client.stream(
        "GET", f"/v1/threads/bench-{i % 20}/events", params={"heartbeat": 1.0}
    ) as r:
        async for line in r.aiter_lines():
            if not line.startswith("event: "):
                continue
            now = time.perf_counter()
            if last is None:
                out["first"].append(now - t0)
            else:
                out["gaps"].append(now - last)
            last = now
            if now - t0 >= hold:
                out["held"] += 1
                return


async def _sse(url: str, headers: dict[str, str], n: int, hold: float) -> dict[str, Any]:
    out: dict[str, Any] = {"first": [], "gaps": [], "held": 0}
    limits = httpx.Limits(max_connections=n + 20, max_keepalive_connections=n + 20)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, timeout=hold + 30, limits=limits
    ) as client:
        streams = [asyncio.create_task(_one_stream(client, i, hold, out)) for i in range(n)]
        await asyncio.sleep(min(5.0, hold / 2))
        during = await _list_load(url, headers, min(5.0, hold / 4), 4)
        results = await asyncio.gather(*streams, return_exceptions=True)
    late = [g - 1.0 for g in out["gaps"]]
    return {
        "sse_streams": n,
        "sse_hold_s": hold,
        "sse_streams_held": out["held"],
        "sse_stream_errors": sum(isinstance(r, Exception) for r in results),
        "sse_first_event_p95_ms": round(1000 * _p(out["first"], 0.95), 1),
        "sse_heartbeat_delay_p95_ms": round(1000 * _p(late, 0.95), 1),
        "approvals_list_p95_ms_during_sse": during["approvals_list_p95_ms"],
        "approvals_list_rps_during_sse": during["approvals_list_rps"],
    }


def run(workdir: Path) -> dict[str, Any]:
    """Measure the approvals list under load and many SSE streams against one server."""
    home = workdir / "home"
    token = _setup(home)
    headers = {"Authorization": f"Bearer {token}"}
    proc, url = _serve(home)
    try:
        metrics = asyncio.run(
            _list_load(
                url,
                headers,
                float(os.environ.get("BENCH_API_LIST_S", 10)),
                int(os.environ.get("BENCH_API_CONCURRENCY", 16)),
            )
        )
        metrics.update(
            asyncio.run(
                _sse(
                    url,
                    headers,
                    int(os.environ.get("BENCH_SSE_STREAMS", 200)),
                    float(os.environ.get("BENCH_SSE_HOLD_S", 60)),
                )
            )
        )
    finally:
        proc.terminate()
        proc.wait(10)
    metrics["approvals_list_goal_rps"] = 500
    return metrics

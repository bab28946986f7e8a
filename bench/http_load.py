"""A light HTTP/1.1 load generator for the API benchmark (keep-alive, no client library).

httpx spends about as much CPU per request as the server does; on a 2-core machine that
load generator steals the core the server needs. This one writes a prepared request and
reads the answer by ``Content-Length`` on ``conc`` keep-alive connections, so the server's
figure is closer to what it can do. Its own CPU is measured and reported with the results.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import psutil


def pct(values: list[float], q: float) -> float:
    """Return the ``q`` quantile of ``values`` (nan when empty)."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def tree_cpu_s(pid: int) -> float:
    """Return the CPU seconds used so far by process ``pid`` and its live children."""
    proc = psutil.Process(pid)
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


async def _conn(port: int, request: bytes, stop: float, lat: list[float], bad: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            lat.append(time.perf_counter() - t0)
            if head[9:12] != b"200":
                bad.append(int(head[9:12]))
    finally:
        writer.close()


async def get_load(
    port: int, path: str, token: str, seconds: float, conc: int, server_pid: int
) -> dict[str, Any]:
    """GET ``path`` on ``conc`` connections for ``seconds``; return rate, latency and CPU."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()
    lat: list[float] = []
    bad: list[int] = []
    server0, own0 = tree_cpu_s(server_pid), time.process_time()
    t0 = time.perf_counter()
    stop = t0 + seconds
    await asyncio.gather(*(_conn(port, request, stop, lat, bad) for _ in range(conc)))
    wall = time.perf_counter() - t0
    server_cpu = tree_cpu_s(server_pid) - server0
    own_cpu = time.process_time() - own0
    n = max(1, len(lat))
    return {
        "rps": round(len(lat) / wall, 1),
        "p50_ms": round(1000 * pct(lat, 0.5), 2),
        "p95_ms": round(1000 * pct(lat, 0.95), 2),
        "errors": len(bad),
        "server_cpu_pct": round(100 * server_cpu / wall, 1),
        "server_cpu_ms_per_req": round(1000 * server_cpu / n, 3),
        "server_req_per_cpu_s": round(n / server_cpu, 1) if server_cpu else None,
        "loadgen_cpu_pct": round(100 * own_cpu / wall, 1),
        "loadgen_cpu_ms_per_req": round(1000 * own_cpu / n, 3),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }

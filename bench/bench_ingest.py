"""Real-time ingestion: events/s through ``POST /v1/batch`` on a real ``userops serve``.

Batches of ``BENCH_INGEST_BATCH`` (1000) Segment messages of about 300 bytes each (track
events known and custom, pages, screens; the shape ``analytics-python`` sends, with
``messageId``, ``timestamp``, ``context.library`` and ``sentAt``) over ``BENCH_INGEST_USERS``
users (50,000, each created on first sight), ``BENCH_INGEST_BATCHES`` batches (60), sent on
``BENCH_INGEST_CONC`` keep-alive connections (2) by a light raw-HTTP client, every batch
acknowledged only after its commit. First on the embedded store (SQLite, one worker), then
on PostgreSQL with two workers when the local server answers. After the run the first
batches are sent again (a client retry): they must store nothing, and the events table must
hold exactly the events sent. An identify-only pass (traits with phone and e-mail, identity
resolution) is reported apart, as identifies/s. On a shared machine the load average says
how far the figures can be trusted.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

from bench.http_load import tree_cpu_s
from scripts.serve_procs import basic, serve, stop
from userops.cdp.sample.batches import batch_body


async def _conn(
    port: int, auth: str, bodies: list[bytes], queue: list[int], acks: list[dict[str, Any]]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while queue:
            i = queue.pop(0)
            body = bodies[i]
            head = (
                f"POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            writer.write(head + body)
            got = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in got.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            answer = orjson.loads(await reader.readexactly(length))
            answer["status"] = int(got[9:12])
            answer["batch"] = i
            acks.append(answer)
    finally:
        writer.close()


async def send(port: int, key: str, bodies: list[bytes], conc: int) -> list[dict[str, Any]]:
    """Send every body on ``conc`` keep-alive connections; return the answers."""
    queue = list(range(len(bodies)))
    acks: list[dict[str, Any]] = []
    await asyncio.gather(*(_conn(port, basic(key), bodies, queue, acks) for _ in range(conc)))
    return acks


def _pass(base: str, pid: int, key: str, bodies: list[bytes], conc: int) -> dict[str, Any]:
    port = int(base.rsplit(":", 1)[1])
    cpu0, own0 = tree_cpu_s(pid), time.process_time()
    t0 = time.perf_counter()
    acks = asyncio.run(send(port, key, bodies, conc))
    wall = time.perf_counter() - t0
    return {
        "wall_s": round(wall, 2),
        "loadgen_cpu_s": round(time.process_time() - own0, 3),
        "acked": sum(a["received"] for a in acks if a["status"] == 200),
        "stored": sum(a.get("stored", 0) for a in acks),
        "errors": sum(a["status"] != 200 for a in acks),
        "server_cpu_s": round(tree_cpu_s(pid) - cpu0, 2),
    }


def _count(url: str) -> int:
    from sqlalchemy import text

    from userops.store.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())
    finally:
        engine.dispose()


def measure(home: Path, url: str, workers: int, prefix: str) -> dict[str, Any]:
    """One backend: an event pass per client concurrency, the retry pass, the identify pass."""
    from userops.cdp.stream.sources import add_source
    from userops.store.engine import open_store

    engine = open_store(url)
    _, key = add_source(engine, f"bench-{uuid.uuid4().hex[:8]}", "web")
    engine.dispose()
    size = int(os.environ.get("BENCH_INGEST_BATCH", 1000))
    n = int(os.environ.get("BENCH_INGEST_BATCHES", 60))
    users = int(os.environ.get("BENCH_INGEST_USERS", 50_000))
    concs = [int(c) for c in os.environ.get("BENCH_INGEST_CONC", f"1,{2 * workers}").split(",")]
    ids = [batch_body(10**9 + i * 100, 100, users, identify=True) for i in range(10)]
    out: dict[str, Any] = {f"{prefix}_workers": workers}
    proc, base = serve(home, workers=workers, url=url)
    sent = errors = 0
    try:
        warm = [batch_body(10**8 + i * 50, 50, users) for i in range(4 * workers)]
        _pass(base, proc.pid, key, warm, 2 * workers)  # warm every path of every worker
        time.sleep(5)  # the first profile update imports the trait models (once per process)
        for j, conc in enumerate(concs):
            bodies = [batch_body((j * n + i) * size, size, users) for i in range(n)]
            load = os.getloadavg()[0]
            got = _pass(base, proc.pid, key, bodies, conc)
            sent += n * size
            errors += got["errors"]
            out[f"{prefix}_c{conc}_events_per_s"] = round(n * size / got["wall_s"])
            out[f"{prefix}_c{conc}_server_cpu_us_per_event"] = round(
                1e6 * got["server_cpu_s"] / (n * size), 1
            )
            out[f"{prefix}_c{conc}_events_per_server_cpu_s"] = round(
                n * size / max(got["server_cpu_s"], 1e-9)
            )
            out[f"{prefix}_c{conc}_loadgen_cpu_us_per_event"] = round(
                1e6 * got["loadgen_cpu_s"] / (n * size), 1
            )
            out[f"{prefix}_c{conc}_wall_s"] = got["wall_s"]
            out[f"{prefix}_c{conc}_server_cpu_s"] = got["server_cpu_s"]
            out[f"{prefix}_c{conc}_load_avg_1m"] = f"{load:.2f} -> {os.getloadavg()[0]:.2f}"
            if j == 0:
                retry = _pass(base, proc.pid, key, bodies[:5], conc)  # a client's retries
                errors += retry["errors"]
                out[f"{prefix}_retry_stored"] = retry["stored"]
        ident = _pass(base, proc.pid, key, ids, 1)
        errors += ident["errors"]
    finally:
        stop(proc)
    out[f"{prefix}_events_per_s"] = max(v for k, v in out.items() if k.endswith("events_per_s"))
    out[f"{prefix}_batch_events"] = size
    out[f"{prefix}_batch_bytes"] = len(batch_body(0, size, users))
    out[f"{prefix}_events_sent"] = sent
    out[f"{prefix}_events_in_store"] = _count(url) - 200 * workers  # less the warm-up
    out[f"{prefix}_errors"] = errors
    out[f"{prefix}_identifies_per_s"] = round(1000 / ident["wall_s"])
    return out


def run(workdir: Path) -> dict[str, Any]:
    """Embedded store with one worker, then PostgreSQL with two (when it answers)."""
    home = workdir / "home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    metrics: dict[str, Any] = {"goal_events_per_s": 20_000, "cpus": os.cpu_count()}
    metrics.update(measure(home, f"sqlite:///{home / 'userops.db'}", 1, "sqlite"))
    if os.environ.get("BENCH_INGEST_PG", "1") != "1":
        return _saved(workdir, metrics)
    from scripts.chaos_setup import PG_ADMIN_URL, create_database, drop_database

    try:
        url = create_database()
    except Exception as exc:  # no server here: say so instead of failing the whole bench
        metrics["pg_skipped"] = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"
        return _saved(workdir, metrics)
    try:
        metrics.update(measure(home, url, 2, "pg"))
    finally:
        drop_database(url)
    return _saved(workdir, metrics)


def _saved(workdir: Path, metrics: dict[str, Any]) -> dict[str, Any]:
    """``metrics``, also written to ``bench/out/ingest.json``."""
    (workdir.parent / "ingest.json").write_text(
        orjson.dumps(metrics, option=orjson.OPT_INDENT_2).decode()
    )
    return metrics

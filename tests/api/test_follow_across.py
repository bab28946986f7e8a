"""A follow stream on one server process sees a run executed by another (same store).

Two real ``userops serve`` processes on one SQLite store, which is what ``--workers 2``
gives too (separate processes, nothing shared but the store), except that here the test
chooses which process answers which request. Slow for a unit test (two server start-ups,
about 5-10 s on the shared machine); it is the only test of cross-process streaming.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from tests.agents.loop_doubles import seed_users
from userops.accounts import add_user


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(600):
        assert proc.poll() is None, f"server on {url} exited: {log.read_text()[-2000:]}"
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"server on {url} did not start: {log.read_text()[-2000:]}")


@pytest.fixture
def two_servers(sqlite_engine: Engine, home: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    seed_users(sqlite_engine, 30)
    tokens = {n: add_user(sqlite_engine, n, r)[1] for n, r in (("olivia", "operator"),)}
    env = {**os.environ, "USEROPS_HOME": str(home), "USEROPS_EMBEDDING": "hashing"}
    env.pop("USEROPS_DATABASE_URL", None)
    procs, urls, logs = [], [], []
    for i in range(2):
        port = _port()
        cmd = [sys.executable, "-m", "userops.cli.main", "serve", "--port", str(port)]
        logs.append(home / f"serve{i}.log")
        with logs[-1].open("wb") as log:
            procs.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=log))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, proc, log_path in zip(urls, procs, logs, strict=True):
            _wait(url, proc, log_path)
        yield urls[0], urls[1], tokens
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:  # graceful shutdown stuck: not what is tested
                proc.kill()
                proc.wait(10)


def _read(
    resp: httpx.Response, out: list[tuple[int | None, str, Any]], stop: threading.Event
) -> None:
    eid, kind = None, None
    for line in resp.iter_lines():
        if line.startswith("id: "):
            eid = int(line[4:])
        elif line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            out.append((eid, str(kind), json.loads(line[6:])))
            if kind == "state" and eid is not None:  # a recorded state: the run's end
                stop.set()
                return
            eid = None


def test_stream_on_one_process_sees_a_run_on_the_other(two_servers: Any) -> None:
    url_a, url_b, tokens = two_servers
    auth = {"Authorization": f"Bearer {tokens['olivia']}"}
    events: list[tuple[int | None, str, Any]] = []
    done = threading.Event()
    with httpx.Client(timeout=60, headers=auth) as client:
        with client.stream("GET", f"{url_b}/v1/threads/x1/events?heartbeat=30") as resp:
            assert resp.status_code == 200
            reader = threading.Thread(target=_read, args=(resp, events, done), daemon=True)
            reader.start()
            r = client.post(f"{url_a}/v1/threads", json={"goal": "win back", "thread_id": "x1"})
            assert r.status_code == 201, r.text
            final = r.json()["status"]
            assert done.wait(30), events
    assert events[0][:2] == (None, "state") and events[0][2]["status"] == "new"
    later = events[1:]
    assert [k for _, k, _ in later if k == "progress"], later
    assert later[-1][1] == "state" and later[-1][2]["status"] == final
    ids = [i for i, _, _ in later]
    assert all(isinstance(i, int) for i in ids) and ids == sorted(set(ids))

    # Resume on process A from the middle of what B streamed: only the later events come.
    cut = ids[len(ids) // 2 - 1] if len(ids) > 1 else 0
    resumed: list[tuple[int | None, str, Any]] = []
    with httpx.Client(timeout=30, headers={**auth, "Last-Event-ID": str(cut)}) as client:
        with client.stream("GET", f"{url_a}/v1/threads/x1/events?heartbeat=30") as resp:
            assert resp.status_code == 200
            _read(resp, resumed, threading.Event())
    assert [i for i, _, _ in resumed] == [i for i in ids if i > cut]

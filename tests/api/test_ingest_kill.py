"""SIGKILL during ingestion: every acknowledged message survives, retries add nothing.

A client thread sends batches to a real ``userops serve`` without pause; the server (all
its processes) is killed with SIGKILL at moments while batches are in flight, then started
again, twice. Every batch answered 200 must be in the store, exactly once; batches
not answered are sent again (as Segment's libraries retry) and then the store holds each
message exactly once. Embedded store with one worker; PostgreSQL with two workers.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from scripts.serve_procs import basic, kill, serve, stop
from userops.cdp.sample.batches import batch_body
from userops.cdp.stream.sources import add_source
from userops.store.engine import make_engine, upgrade

SIZE = 200
BATCHES = 150
KILLS = 2
USERS = 2_000


class Feed:
    """Batches still to send, shared by the sender threads."""

    def __init__(self) -> None:
        self.todo = list(range(BATCHES))
        self.acked: set[int] = set()
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def send(self, base: str, key: str, stop_: threading.Event) -> None:
        """Send batches until none is left, the server is gone or ``stop_`` is set."""
        headers = {"Authorization": basic(key), "Content-Type": "application/json"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            while not stop_.is_set():
                with self.lock:
                    if not self.todo:
                        return
                    i = self.todo.pop(0)
                try:
                    r = client.post("/v1/batch", content=batch_body(i * SIZE, SIZE, USERS))
                except httpx.HTTPError:
                    with self.lock:  # not acknowledged: sent again after the restart
                        self.todo.insert(0, i)
                    return
                with self.lock:
                    if r.status_code == 200:
                        self.acked.add(i)
                    else:
                        self.errors.append(f"batch {i}: {r.status_code} {r.text[:200]}")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigkill_during_ingestion_loses_nothing_acknowledged(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    url = f"sqlite:///{home / 'userops.db'}"
    workers = 1
    if backend == "postgresql":
        url, workers = str(request.getfixturevalue("pg_url")), 2
    engine = make_engine(url)
    upgrade(engine)
    _, key = add_source(engine, "app", "app")
    engine.dispose()
    rng = random.Random(7)
    feed = Feed()
    kills = 0
    for round_ in range(KILLS + 1):
        proc, base = serve(home, workers=workers, url=url, log=tmp_path / "serve.log")
        stop_ = threading.Event()
        senders = [
            threading.Thread(target=feed.send, args=(base, key, stop_)) for _ in range(workers)
        ]
        for t in senders:
            t.start()
        if round_ < KILLS:
            time.sleep(rng.uniform(0.3, 1.0))
            kill(proc)
            kills += 1
            assert feed.todo, "the kill came after the last batch: not during ingestion"
            stop_.set()
            for t in senders:
                t.join(60)
            assert _acked_are_stored(url, feed.acked)
            continue
        for t in senders:
            t.join(300)
        redo = _pass_again(base, key, sorted(feed.acked)[:10])  # a client's retries of acked ones
        stop(proc)
        assert redo == 0
    assert feed.errors == [] and kills == KILLS
    assert not feed.todo and len(feed.acked) == BATCHES
    assert _acked_are_stored(url, feed.acked)
    n, check = _total(url)
    assert n == BATCHES * SIZE and check == "ok"


def _pass_again(base: str, key: str, batches: list[int]) -> int:
    stored = 0
    headers = {"Authorization": basic(key)}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for i in batches:
            r = client.post("/v1/batch", content=batch_body(i * SIZE, SIZE, USERS))
            assert r.status_code == 200
            stored += int(r.json()["stored"])
    return stored


def _acked_are_stored(url: str, acked: set[int]) -> bool:
    """Every message of every acknowledged batch is stored exactly once."""
    from userops.cdp.stream.write import dedupe_key

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            sid = conn.execute(text("SELECT id FROM sources")).scalar_one()
            keys = {k for (k,) in conn.execute(text("SELECT dedupe_key FROM events")).all()}
    finally:
        engine.dispose()
    want = {dedupe_key(sid, f"bench-{m}") for i in acked for m in range(i * SIZE, (i + 1) * SIZE)}
    return want <= keys


def _total(url: str) -> tuple[int, str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            n = int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())
            check = "ok"
            if engine.dialect.name == "sqlite":
                check = str(conn.execute(text("PRAGMA integrity_check")).scalar_one())
            dup = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT external_id FROM users GROUP BY external_id"
                    " HAVING count(*) > 1) d"
                )
            ).scalar_one()
        assert dup == 0
        return n, check
    finally:
        engine.dispose()

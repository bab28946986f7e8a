"""Scale-out on PostgreSQL: two ``serve`` workers take the same batches at once from four
clients; every message is stored once and every user once."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from scripts.serve_procs import basic, serve, stop
from userops.cdp.sample.batches import batch_body
from userops.cdp.stream.sources import add_source
from userops.store.engine import make_engine, upgrade

SIZE = 250
BATCHES = 24
USERS = 500
CLIENTS = 4


@pytest.mark.slow
def test_two_workers_four_clients_same_batches_no_duplicates(pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    _, key = add_source(engine, "app", "app")
    bodies = [batch_body(i * SIZE, SIZE, USERS) for i in range(BATCHES)]
    stored: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(seed: int) -> None:
        order = list(range(BATCHES))
        random.Random(seed).shuffle(order)
        # a fresh connection per batch: the requests spread over both workers
        for i in order:
            r = httpx.post(
                f"{base}/v1/batch", content=bodies[i], headers={"Authorization": basic(key)}
            )
            with lock:
                if r.status_code == 200:
                    stored.append(int(r.json()["stored"]))
                else:
                    errors.append(f"{r.status_code} {r.text[:200]}")

    proc, base = serve(tmp_path, workers=2, url=pg_url, log=tmp_path / "serve.log")
    try:
        threads = [threading.Thread(target=client, args=(s,)) for s in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    finally:
        stop(proc)
    assert errors == []
    assert sum(stored) == BATCHES * SIZE  # each message stored by exactly one request
    with engine.connect() as conn:
        events = conn.execute(text("SELECT count(*), count(DISTINCT dedupe_key) FROM events")).one()
        users = conn.execute(text("SELECT count(*), count(DISTINCT external_id) FROM users")).one()
        recount = "SELECT type, user_id, count(*) FROM events GROUP BY 1, 2 ORDER BY 1, 2"
        kept = "SELECT type, user_id, n FROM event_counts ORDER BY 1, 2"
        counts = [tuple(r) for r in conn.execute(text(kept))]  # concurrent trigger upserts
        assert counts == [tuple(r) for r in conn.execute(text(recount))]
    engine.dispose()
    assert tuple(events) == (BATCHES * SIZE, BATCHES * SIZE)
    assert tuple(users) == (USERS, USERS)

"""Fixtures: an app on a seeded SQLite store with test loop doubles and one user per role."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.agents.loop_doubles import make_deps, seed_users
from userops.accounts import add_user
from userops.api.app import create_app
from userops.cli.serve import SERVER_OPTIONS
from userops.settings import Settings


@dataclass
class Api:
    client: TestClient
    engine: Engine
    tokens: dict[str, str]

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


USERS = {"olivia": "operator", "ana": "approver", "bob": "approver", "root": "admin"}


@pytest.fixture
def api(sqlite_engine: Engine, home: Path) -> Iterator[Api]:
    seed_users(sqlite_engine, 30)
    tokens = {name: add_user(sqlite_engine, name, role)[1] for name, role in USERS.items()}
    settings = Settings(home=home, embedding="hashing")
    app = create_app(settings, engine=sqlite_engine, loop_deps=make_deps(sqlite_engine))
    with TestClient(app) as client:
        yield Api(client, sqlite_engine, tokens)


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn as ``userops serve`` does, on a free loopback port in a
    thread; yield its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **SERVER_OPTIONS)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    try:
        yield url
    finally:
        srv.should_exit = True
        thread.join(10)


@pytest.fixture
def site(sqlite_engine: Engine, home: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A real uvicorn server over a small population, with an operator and an approver token."""
    seed_users(sqlite_engine, 30)
    tokens = {
        n: add_user(sqlite_engine, n, r)[1]
        for n, r in {"olivia": "operator", "ana": "approver"}.items()
    }
    app = create_app(
        Settings(home=home, embedding="hashing"),
        engine=sqlite_engine,
        loop_deps=make_deps(sqlite_engine),
    )
    with live_server(app) as url:
        yield url, tokens


@pytest.fixture
def pg_api(pg_engine: Engine, pg_url: str, home: Path) -> Iterator[Api]:
    """The same app on PostgreSQL: store, checkpoints and thread locks all on the database."""
    seed_users(pg_engine, 30)
    with pg_engine.begin() as conn:  # seed_users writes explicit ids: move the sequence past
        conn.execute(text("SELECT setval(pg_get_serial_sequence('users', 'id'), 30)"))
    tokens = {name: add_user(pg_engine, name, role)[1] for name, role in USERS.items()}
    settings = Settings(home=home, embedding="hashing", database_url=pg_url)
    app = create_app(settings, engine=pg_engine, loop_deps=make_deps(pg_engine))
    with TestClient(app) as client:
        yield Api(client, pg_engine, tokens)


def gate(api: Api, thread_id: str = "t1") -> str:
    """Start a win-back thread as the operator; return the approval it stops at."""
    r = api.client.post(
        "/v1/threads", json={"goal": "win back", "thread_id": thread_id}, headers=api.auth("olivia")
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "awaiting_approval"
    return str(r.json()["approval_id"])


def decision_race(api: Api, aid: str) -> None:
    """Two approvers decide ``aid`` at once: one 200, one 409 naming the winner, one audit row."""
    url = f"/v1/approvals/{aid}/decision"
    barrier = threading.Barrier(2)
    results: dict[str, httpx.Response] = {}

    def go(name: str, decision: dict[str, str]) -> None:
        barrier.wait()
        results[name] = api.client.post(url, json=decision, headers=api.auth(name))

    ts = [
        threading.Thread(target=go, args=("ana", {"decision": "approve"})),
        threading.Thread(target=go, args=("bob", {"decision": "reject", "comment": "no"})),
    ]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(r.status_code for r in results.values()) == [200, 409]
    winner = next(n for n, r in results.items() if r.status_code == 200)
    loser = next(r for r in results.values() if r.status_code == 409)
    assert loser.json()["current"]["decided_by"] == winner
    with api.engine.connect() as conn:
        n = conn.execute(
            text(
                "SELECT count(*) FROM audit WHERE action LIKE 'decision.%' "
                "AND action != 'decision.refused'"
            )
        ).scalar_one()
    assert n == 1

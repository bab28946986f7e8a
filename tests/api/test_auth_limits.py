"""Failed authentications: limited per address and per token, shared by workers, no lock-out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.agents.loop_doubles import make_deps
from tests.api.conftest import Api, live_server
from userops.accounts import add_user
from userops.api.app import create_app
from userops.api.limiter import FailureLimiter, failure_keys
from userops.settings import Settings

LIST = "/v1/approvals"


def _bad(i: int | str) -> dict[str, str]:
    return {"Authorization": f"Bearer bad-{i}"}


def test_a_valid_token_is_never_refused(api: Api) -> None:
    codes = [api.client.get(LIST, headers=_bad(i)).status_code for i in range(25)]
    assert codes[:20] == [401] * 20 and codes[20:] == [429] * 5
    assert api.client.get(LIST, headers=api.auth("ana")).status_code == 200
    r = api.client.get(LIST, headers=_bad("new"))  # the address stays limited for bad tokens
    assert r.status_code == 429 and r.headers["Retry-After"] == "60"


@pytest.fixture
def behind_proxy(sqlite_engine: Engine, home: Path) -> Iterator[tuple[TestClient, str]]:
    """The app behind a trusted proxy (the test client's address): X-Forwarded-For counts."""
    token = add_user(sqlite_engine, "ana", "approver")[1]
    s = Settings(home=home, embedding="hashing", trusted_proxies="testclient")
    app = create_app(s, engine=sqlite_engine, loop_deps=make_deps(sqlite_engine))
    with TestClient(app) as client:
        yield client, token


def test_one_token_is_limited_from_any_address(behind_proxy: tuple[TestClient, str]) -> None:
    client, token = behind_proxy
    codes = [
        client.get(LIST, headers={**_bad("same"), "X-Forwarded-For": f"10.0.0.{i}"}).status_code
        for i in range(22)
    ]
    assert codes[:20] == [401] * 20 and codes[20:] == [429] * 2
    fresh = {"X-Forwarded-For": "10.0.1.1"}
    assert client.get(LIST, headers={**_bad("other"), **fresh}).status_code == 401
    good = {"Authorization": f"Bearer {token}", "X-Forwarded-For": "10.0.0.1"}
    assert client.get(LIST, headers=good).status_code == 200


def test_forwarded_for_counts_only_from_trusted_proxies(sqlite_engine: Engine, home: Path) -> None:
    """By default the peer is the client: a spoofed X-Forwarded-For per request got round it."""
    s = Settings(home=home, embedding="hashing")
    app = create_app(s, engine=sqlite_engine, loop_deps=make_deps(sqlite_engine))
    with live_server(app) as url, httpx.Client(base_url=url) as client:
        codes = [
            client.get(LIST, headers={**_bad(i), "X-Forwarded-For": f"203.0.113.{i}"}).status_code
            for i in range(21)
        ]
    assert codes[-1] == 429 and codes.count(401) == 20


def test_failures_are_shared_by_every_worker(sqlite_engine: Engine, home: Path) -> None:
    """Two apps on one store (two ``serve --workers`` processes) see the same counts."""
    s = Settings(home=home, embedding="hashing")
    a, b = (create_app(s, engine=sqlite_engine, recover=False) for _ in range(2))
    with TestClient(a) as one, TestClient(b) as two:
        assert {one.get(LIST, headers=_bad(i)).status_code for i in range(20)} == {401}
        assert two.get(LIST, headers=_bad("next")).status_code == 429


def test_counts_per_window_on_both_stores(any_engine: Engine) -> None:
    limiter = FailureLimiter(any_engine, limit=3, window_s=60)
    keys = failure_keys("192.0.2.1", "tok")
    assert [limiter.refuse(keys) for _ in range(5)] == [False, False, False, True, True]
    assert limiter.blocked(failure_keys("192.0.2.2", "tok"))  # the token, from elsewhere
    assert not limiter.blocked(failure_keys("192.0.2.2", "other"))
    t0 = 2e9
    limiter.fail(keys, t0)  # the window passed: a new one starts at 1
    assert not limiter.blocked(keys, t0 + 1)
    limiter.fail(keys, t0 + 2)
    limiter.fail(keys, t0 + 3)
    assert limiter.blocked(keys, t0 + 4) and not limiter.blocked(keys, t0 + 61)

"""CORS by setting (``USEROPS_CORS_ORIGINS``): a browser preflight from an allowed origin is
answered with its headers, one from any other origin is not; none are allowed by default."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.agents.loop_doubles import make_deps
from userops.accounts import add_user
from userops.api.app import create_app
from userops.settings import Settings

ALLOWED = "https://studio.example.com"


def _client(engine: Engine, home: Path, origins: str) -> TestClient:
    settings = Settings(home=home, embedding="hashing", cors_origins=origins)
    app = create_app(settings, engine=engine, loop_deps=make_deps(engine), recover=False)
    return TestClient(app)


@pytest.fixture
def cors(sqlite_engine: Engine, home: Path) -> Iterator[tuple[TestClient, str]]:
    token = add_user(sqlite_engine, "olivia", "operator")[1]
    with _client(sqlite_engine, home, f"{ALLOWED}/, https://other.example.com") as client:
        yield client, token


def _preflight(client: TestClient, origin: str) -> dict[str, str]:
    r = client.options(
        "/threads/search",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    return {"status": str(r.status_code), **{k.lower(): v for k, v in r.headers.items()}}


def test_preflight_allowed_and_refused(cors: tuple[TestClient, str]) -> None:
    client, token = cors
    ok = _preflight(client, ALLOWED)
    assert ok["status"] == "200"
    assert ok["access-control-allow-origin"] == ALLOWED
    assert "POST" in ok["access-control-allow-methods"]
    assert "authorization" in ok["access-control-allow-headers"].lower()
    refused = _preflight(client, "https://evil.example.com")
    assert refused["status"] == "400"
    assert "access-control-allow-origin" not in refused
    # the actual request from the allowed origin carries the header too
    r = client.post(
        "/assistants/search",
        json={},
        headers={"Origin": ALLOWED, "Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ALLOWED


def test_no_cors_by_default(sqlite_engine: Engine, home: Path) -> None:
    with _client(sqlite_engine, home, "") as client:
        got = _preflight(client, ALLOWED)
    assert "access-control-allow-origin" not in got
    assert got["status"] != "200"

"""Shared fixtures: isolated stores (SQLite and PostgreSQL) and the no-real-model guard."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from userops.store.engine import make_engine, upgrade

PG_ADMIN_URL = os.environ.get(
    "USEROPS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DATA = Path(__file__).parent / "data"
_LOOPBACK = ("127.", "::1", "localhost")


class RealNetworkCall(RuntimeError):
    """Raised when a test tries to reach anything but this machine (a real model, say)."""


@pytest.fixture(autouse=True)
def _no_real_models(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any connection that leaves the machine, and unset any configured real model."""
    for var in (
        "USEROPS_LLM_MODEL",
        "USEROPS_LLM_BASE_URL",
        "USEROPS_LLM_API_KEY",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and not str(host).startswith(_LOOPBACK):
            raise RealNetworkCall(f"tests may not reach {address!r} (no real model calls)")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    from userops.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated ``USEROPS_HOME`` (SQLite store, Chroma dir) for one test."""
    h = tmp_path / "home"
    monkeypatch.setenv("USEROPS_HOME", str(h))
    monkeypatch.delenv("USEROPS_DATABASE_URL", raising=False)
    return h


@pytest.fixture
def sqlite_engine(home: Path) -> Iterator[Engine]:
    """A migrated SQLite store under the test's home."""
    home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{home / 'userops.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _pg_available() -> bool:
    try:
        eng = create_engine(PG_ADMIN_URL)
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


PG_AVAILABLE = _pg_available()
requires_pg = pytest.mark.skipif(
    not PG_AVAILABLE, reason=f"PostgreSQL not reachable at {PG_ADMIN_URL}"
)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database, dropped after the test."""
    if not PG_AVAILABLE:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    name = f"userops_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """A migrated store on a fresh PostgreSQL database."""
    engine = make_engine(pg_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request: pytest.FixtureRequest) -> Engine:
    """The same test on both store backends."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_engine")  # type: ignore[no-any-return]
    return request.getfixturevalue("pg_engine")  # type: ignore[no-any-return]

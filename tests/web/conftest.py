"""Fixtures of the page tests: the app with loop doubles behind a test client, per person."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.agents.loop_doubles import make_deps, seed_users
from userops.accounts import add_user
from userops.api.app import create_app
from userops.settings import Settings

PEOPLE = {"olivia": "operator", "oscar": "operator", "ana": "approver", "bob": "approver"}


@dataclass
class Web:
    app: object
    engine: Engine
    tokens: dict[str, str]

    def client(self, lang: str = "en") -> TestClient:
        """A fresh browser-like client (its own cookies) preferring ``lang``."""
        c = TestClient(self.app, follow_redirects=False)  # type: ignore[arg-type]
        c.headers["Accept-Language"] = "zh-CN,zh;q=0.9" if lang == "zh" else "en-US,en;q=0.9"
        return c

    def signed_in(self, name: str, lang: str = "en") -> TestClient:
        c = self.client(lang)
        r = c.post("/ui/login", data={"token": self.tokens[name], "next": "/ui"})
        assert r.status_code == 303, r.text
        return c


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([0-9a-f]{32})"', html) or re.search(
        r'data-csrf="([0-9a-f]{32})"', html
    )
    assert m, html[:500]
    return m.group(1)


@pytest.fixture
def web(sqlite_engine: Engine, home: Path) -> Iterator[Web]:
    seed_users(sqlite_engine, 30)
    tokens = {n: add_user(sqlite_engine, n, r)[1] for n, r in PEOPLE.items()}
    app = create_app(
        Settings(home=home, embedding="hashing"),
        engine=sqlite_engine,
        loop_deps=make_deps(sqlite_engine),
    )
    with TestClient(app):  # runs the lifespan (the loop runtime)
        yield Web(app, sqlite_engine, tokens)

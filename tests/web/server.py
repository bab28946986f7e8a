"""One real server for the web tests: the offline stack on a small simulated SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from tests.api.conftest import live_server
from tests.doubles import populate
from userops.accounts import add_user
from userops.api.app import create_app
from userops.settings import Settings
from userops.store.engine import make_engine, upgrade
from userops.store.meta import mark_simulated

PEOPLE = {"olivia": "operator", "ana": "approver", "bob": "approver", "root": "admin"}


@dataclass
class Site:
    url: str
    engine: Engine
    tokens: dict[str, str]
    home: Path


@contextmanager
def site(home: Path, users: int = 150) -> Iterator[Site]:
    """Serve the app (offline planner, evaluator and sandbox dispatch) over ``users`` people."""
    home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{home / 'userops.db'}")
    upgrade(engine)
    populate(engine, users)
    mark_simulated(engine, "test")
    tokens = {n: add_user(engine, n, r)[1] for n, r in PEOPLE.items()}
    app = create_app(Settings(home=home, embedding="hashing"), engine=engine)
    try:
        with live_server(app) as url:
            yield Site(url, engine, tokens, home)
    finally:
        engine.dispose()

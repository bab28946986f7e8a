"""Every command that opens the store refuses a bad one with one line naming it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tests.dispatch.factory import add_users
from tests.store.damage import corrupt_mid_file, filled_store
from userops.cli.common import user_errors
from userops.cli.main import app
from userops.store.engine import open_store

runner = CliRunner()
COMMANDS = (
    ["outbox", "status", "--json"],
    ["users", "list"],
    ["worker", "run", "--until-idle"],
    ["approvals", "list"],
    ["demo", "--yes"],
    ["serve"],
)


def _one_line(res: Any, *parts: str) -> None:
    assert res.exit_code == 1, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.output, res.output
    for p in parts:
        assert p in lines[0], lines[0]


@pytest.fixture
def no_uvicorn(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    import uvicorn

    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append(a))
    return calls


def test_a_damaged_store_is_refused_by_every_command(home: Path, no_uvicorn: list[Any]) -> None:
    """Before: a 157-line traceback, or (store damaged mid-file) no error until mid-send."""
    db = home / "userops.db"
    filled_store(db).dispose()
    corrupt_mid_file(db)
    for args in COMMANDS:
        _one_line(runner.invoke(app, args), f"store {db}", "malformed")
    assert no_uvicorn == []  # serve stopped before any worker started


def test_a_read_only_store_is_refused(
    home: Path, monkeypatch: pytest.MonkeyPatch, no_uvicorn: list[Any]
) -> None:
    db = home / "userops.db"
    home.mkdir(parents=True)
    open_store(f"sqlite:///{db}").dispose()
    monkeypatch.setenv("USEROPS_DATABASE_URL", f"sqlite:///file:{db}?mode=ro&uri=true")
    for args in COMMANDS:
        _one_line(runner.invoke(app, args), f"store {db} is read-only")
    assert no_uvicorn == []


def test_demo_refuses_a_real_store(home: Path) -> None:
    """A store with users that seed/demo/eval did not make gets no simulated anything."""
    home.mkdir(parents=True)
    engine = open_store()
    add_users(engine, 5)
    engine.dispose()
    res = runner.invoke(app, ["demo", "--yes", "--json"])
    _one_line(res, f"store {home / 'userops.db'}", "not made by seed, demo or eval")
    assert res.stdout == ""


def test_a_store_failure_mid_command_is_one_line() -> None:
    def full() -> None:
        with user_errors():
            raise sqlite3.OperationalError("database or disk is full")

    with pytest.raises(typer.Exit) as stopped:
        full()
    assert stopped.value.exit_code == 1
    with pytest.raises(sqlite3.IntegrityError), user_errors():  # a bug stays a traceback
        raise sqlite3.IntegrityError("UNIQUE constraint failed")

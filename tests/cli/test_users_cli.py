"""`userops users add|list`."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from userops.accounts import hash_token
from userops.cli.main import app

runner = CliRunner()


def test_add_prints_token_once_and_stores_hash(home: Path) -> None:
    res = runner.invoke(app, ["users", "add", "ana", "--role", "approver", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["role"] == "approver" and out["token"].startswith("uo_")
    from userops.store.engine import open_store

    with open_store().connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM accounts")).scalar_one()
    assert stored == hash_token(out["token"])
    listed = runner.invoke(app, ["users", "list", "--json"])
    assert [u["name"] for u in json.loads(listed.stdout)] == ["ana"]
    assert out["token"] not in listed.stdout


def test_bad_role_and_duplicate(home: Path) -> None:
    res = runner.invoke(app, ["users", "add", "bo", "--role", "king"])
    assert res.exit_code == 1 and "role='king'" in res.output
    runner.invoke(app, ["users", "add", "bo", "--role", "operator"])
    res = runner.invoke(app, ["users", "add", "bo", "--role", "admin"])
    assert res.exit_code == 1 and "already exists" in res.output

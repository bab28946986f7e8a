from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.cli.support import count_rows
from userops.cli.main import app

runner = CliRunner()


def test_seed_json_then_refuse_then_replace(home: Path) -> None:
    res = runner.invoke(
        app, ["seed", "--users", "300", "--seed", "4", "--language", "en", "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["users"] == 300 and data["language"] == "en" and data["seed"] == 4
    assert data["records"] == count_rows("users") and data["events"] == count_rows("events")
    assert sum(data["events_by_type"].values()) == data["events"]
    assert data["as_of"].startswith("2026-11-01")

    again = runner.invoke(app, ["seed", "--users", "100", "--json"])
    assert again.exit_code == 1
    assert "--replace" in again.stderr and again.stdout == ""
    assert count_rows("users") == data["records"]

    res = runner.invoke(app, ["seed", "--users", "100", "--replace", "--as-of", "2025-06-30"])
    assert res.exit_code == 0, res.output
    assert "users" in res.stdout and "order" in res.stdout and "2025-06-30" in res.stdout
    assert 100 < count_rows("users") < 130


def test_bad_options_exit_1_and_write_nothing(home: Path) -> None:
    res = runner.invoke(app, ["seed", "--users", "10", "--language", "fr"])
    assert res.exit_code == 1
    assert "language='fr'" in res.stderr
    res = runner.invoke(app, ["seed", "--users", "10", "--as-of", "yesterday"])
    assert res.exit_code == 1
    assert "--as-of='yesterday'" in res.stderr
    assert count_rows("users") == 0


def test_help_documents_replace_and_determinism() -> None:
    res = runner.invoke(app, ["seed", "--help"])
    assert res.exit_code == 0
    assert "--replace" in res.stdout and "identical" in res.stdout

"""`userops segments preview|catalog` through the Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from tests.cdp import segment_fixture as fx
from userops.cli.main import app

runner = CliRunner()
SPEC = {"all": [{"field": "reachable_channels", "op": "contains", "value": "sms"}]}


def test_preview_inline_json(sqlite_engine: Engine) -> None:
    fx.load(sqlite_engine)
    result = runner.invoke(app, ["segments", "preview", json.dumps(SPEC), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["size"] == 3
    assert data["reachable"]["sms"] == 3
    assert fx.PHONE not in result.stdout and fx.EMAIL not in result.stdout


def test_preview_from_file_and_as_table(sqlite_engine: Engine, tmp_path: Path) -> None:
    fx.load(sqlite_engine)
    path = tmp_path / "seg.json"
    path.write_text(json.dumps({"all": []}), encoding="utf-8")
    result = runner.invoke(app, ["segments", "preview", f"@{path}", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["size"] == len(fx.CANONICAL)
    table = runner.invoke(app, ["segments", "preview", f"@{path}"])
    assert table.exit_code == 0, table.output
    assert "Segment size: 5" in table.stdout


def test_bad_spec_exits_1_naming_the_field(sqlite_engine: Engine, tmp_path: Path) -> None:
    bad = {"all": [{"field": "lifecycle_stage", "op": "=", "value": "sleeping"}]}
    result = runner.invoke(app, ["segments", "preview", json.dumps(bad), "--json"])
    assert result.exit_code == 1
    assert "all[0].value='sleeping'" in result.stderr
    assert "allowed values: new, growing" in result.stderr
    assert result.stdout == ""
    path = tmp_path / "bad.json"
    path.write_text('{"all": [\n  {"field": "x", "op": "=", "value": 1},\n]}', encoding="utf-8")
    result = runner.invoke(app, ["segments", "preview", f"@{path}"])
    assert result.exit_code == 1
    assert f"{path}:3" in result.stderr and "invalid JSON" in result.stderr
    missing = runner.invoke(app, ["segments", "preview", f"@{tmp_path / 'nope.json'}"])
    assert missing.exit_code == 1 and "cannot read" in missing.stderr


def test_search_without_index_is_a_clean_error(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fx.load(sqlite_engine)
    import userops.cli.segments as seg_cli
    from userops.errors import UsageError

    def no_search() -> None:
        raise UsageError("profile search is not available: test")

    monkeypatch.setattr(seg_cli, "_searcher", no_search)
    result = runner.invoke(app, ["segments", "preview", '{"search": "coffee"}'])
    assert result.exit_code == 1
    assert "profile search is not available" in result.stderr


def test_catalog_lists_fields() -> None:
    result = runner.invoke(app, ["segments", "catalog", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["ltv_tier"]["values"] == ["high", "mid", "low"]


def test_preview_verify_reach_flag(sqlite_engine: Engine) -> None:
    fx.load(sqlite_engine)
    result = runner.invoke(app, ["segments", "preview", "{}", "--verify-reach", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["reachable_now"]["sms"] == 0  # the fixture has no consent rows
    table = runner.invoke(app, ["segments", "preview", "{}", "--verify-reach"])
    assert "reachable now" in table.stdout

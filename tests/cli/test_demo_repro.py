"""`userops demo` runs on a fixed clock: two fresh stores give identical figures."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from userops.cli.demo import DEMO_NOW
from userops.cli.main import app
from userops.store.engine import open_store

runner = CliRunner()
FIGURES = ("plan", "sent", "deferred", "suppressed", "kpi", "baseline_blast", "kpi_by_metric")


def _run(home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    from userops.settings import get_settings

    monkeypatch.setenv("USEROPS_HOME", str(home))
    get_settings.cache_clear()  # the process-wide settings hold the home of the last run
    res = runner.invoke(app, ["demo", "--yes", "--json", "--users", "600"])
    assert res.exit_code == 0, res.output
    out: dict[str, object] = json.loads(res.stdout)
    return out


def test_two_fresh_demos_give_identical_figures(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _run(tmp_path / "a", monkeypatch)
    second = _run(tmp_path / "b", monkeypatch)
    assert first["status"] == second["status"] == "completed"
    assert first["sent"] and first["kpi"]  # something was sent and measured
    assert {k: first[k] for k in FIGURES} == {k: second[k] for k in FIGURES}
    # The clock reaches the dispatch: members are assigned at the demo's instant.
    now_ts = int(datetime.fromisoformat(DEMO_NOW["zh"]).timestamp())
    with open_store().connect() as conn:  # the second run's store
        lo, hi = conn.execute(
            text("SELECT min(assigned_ts), max(assigned_ts) FROM campaign_members")
        ).one()
    assert lo == now_ts and hi >= lo  # fallbacks are assigned later in simulated time
    assert "2026-11-02" in str(first["plan"])  # the plan is named after the demo's day


def test_demo_clock_refuses_a_naive_timestamp(home: Path) -> None:
    res = runner.invoke(app, ["demo", "--json", "--users", "600", "--now", "2026-11-02T02:00"])
    assert res.exit_code == 1 and "--now" in res.output and "time zone" in res.output

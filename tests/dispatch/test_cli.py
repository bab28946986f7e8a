"""CLI: dispatch preflight, worker run, outbox status."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from tests.dispatch.factory import add_users, step
from userops.cli.main import app
from userops.dispatch.engine import enqueue
from userops.dispatch.policy import Policy

runner = CliRunner()


def test_preflight_worker_and_status(sqlite_engine: Engine, tmp_path: Path) -> None:
    users = add_users(sqlite_engine, 5, consent=("sms",))
    add_users(sqlite_engine, 1, start=9, consent=())
    plan = tmp_path / "plan.json"
    plan.write_text(step(users + [9], holdout=[5]).model_dump_json())
    pol = tmp_path / "policy.yaml"
    pol.write_text("quiet_hours: null\n")
    res = runner.invoke(app, ["dispatch", "preflight", str(plan), "--policy", str(pol), "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert (report["would_send"], report["suppressed"]) == (4, {"holdout": 1, "consent": 1})
    enqueue(
        sqlite_engine,
        step(users + [9], holdout=[5]),
        policy=Policy.with_overrides({"quiet_hours": None}),
    )
    res = runner.invoke(app, ["worker", "run", "--until-idle", "--policy", str(pol), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["sent"] == 4
    res = runner.invoke(app, ["outbox", "status", "--json"])
    data = json.loads(res.stdout)
    assert data["by_state"] == {"sent": 4, "suppressed": 1}
    assert data["by_channel"]["sms"]["sent"] == 4


def test_bad_plan_names_the_field(sqlite_engine: Engine, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"campaign_id": "c", "contents": {}, "assignments": [[1, "sms"]]}))
    res = runner.invoke(app, ["dispatch", "preflight", str(plan)])
    assert res.exit_code == 1
    assert "plan.json" in res.output and "assignments.0" in res.output
    plan.write_text('{"campaign_id": "c",\n "contents": }')
    res = runner.invoke(app, ["dispatch", "preflight", str(plan)])
    assert res.exit_code == 1 and "plan.json:2" in res.output


def test_policy_show(home: Path) -> None:
    res = runner.invoke(app, ["dispatch", "policy", "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["quiet_hours"] == {"start": "21:00:00", "end": "09:00:00"}


def test_worker_channels_config_is_validated(sqlite_engine: Engine, tmp_path: Path) -> None:
    cfg = tmp_path / "channels.yaml"
    cfg.write_text("channels:\n  sms: {provider: nope}\n")
    res = runner.invoke(app, ["worker", "run", "--until-idle", "--channel-config", str(cfg)])
    assert res.exit_code == 1
    assert "channels.yaml" in res.output and "nope" in res.output

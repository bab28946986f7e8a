"""`userops journeys propose`: the agent designs, an approver approves, the worker sends."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import Engine, text
from typer.testing import CliRunner

from tests.dispatch.factory import add_users
from tests.journeys.support import add_event
from userops.cli.main import app

cli = CliRunner()
GOAL = "注册后推送欢迎消息，3天内没下单再发短信首单优惠，下单即退出"


def _outbox(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM outbox")).scalar() or 0)


def test_propose_approve_and_run(sqlite_engine: Engine, tmp_path: Path) -> None:
    add_users(sqlite_engine, 2)
    res = cli.invoke(app, ["journeys", "propose", GOAL, "--as", "ops", "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    assert {"journey_id", "version", "approval_id", "status"} <= set(got)
    assert got["status"] == "awaiting_approval" and got["version"] == 1
    jid = got["journey_id"]
    pol = tmp_path / "policy.yaml"
    pol.write_text("quiet_hours: null\n")
    worker = ["worker", "run", "--until-idle", "--policy", str(pol), "--json"]
    add_event(sqlite_engine, 1, int(time.time()))
    assert cli.invoke(app, worker).exit_code == 0
    assert _outbox(sqlite_engine) == 0  # nothing before approval
    res = cli.invoke(app, ["journeys", "approve", jid, "--as", "boss", "--json"])
    assert res.exit_code == 0, res.output
    add_event(sqlite_engine, 2, int(time.time()))
    res = cli.invoke(app, worker)
    assert res.exit_code == 0, res.output
    with sqlite_engine.connect() as conn:
        sent = conn.execute(text("SELECT user_id, channel FROM outbox")).all()
    assert [tuple(r) for r in sent] == [(2, "app_push")]


def test_propose_asks_in_plain_text(sqlite_engine: Engine) -> None:
    res = cli.invoke(app, ["journeys", "propose", "每当有事就发消息", "--as", "ops"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("? ")
    res = cli.invoke(app, ["journeys", "propose", "", "--as", "ops"])
    assert res.exit_code != 0 and "goal" in res.output

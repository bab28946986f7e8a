"""`userops approvals list|show|approve|reject` on a thread waiting at the gate."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from agents.runtime.threads import open_runtime
from tests.doubles import populate
from userops.approvals import records as approvals
from userops.cli.main import app
from userops.store.meta import mark_simulated

runner = CliRunner()
GOAL = "最近60天没下单的高价值用户有流失风险，做一次召回，预算5000元，晚上不要打扰。"


@pytest.fixture
def waiting(sqlite_engine: Engine) -> str:
    populate(sqlite_engine, 150)
    mark_simulated(sqlite_engine, "test")  # the sandbox sends and simulates, as in the demo
    with open_runtime(engine=sqlite_engine) as rt:
        res = rt.start(GOAL, actor="olivia")
    assert res.status == "awaiting_approval" and res.approval_id
    return res.approval_id


def _sent(engine: Engine, states: tuple[str, ...] = ("sent",)) -> int:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT state FROM outbox")).scalars()
        return sum(1 for s in rows if s in states)


ANY = ("pending", "sending", "sent", "deferred", "suppressed", "failed", "dead")


def test_list_show_and_self_approval_refused(waiting: str, sqlite_engine: Engine) -> None:
    res = runner.invoke(app, ["approvals", "list", "--json"])
    assert [a["id"] for a in json.loads(res.stdout)] == [waiting]
    res = runner.invoke(app, ["approvals", "show", waiting, "--json"])
    card = json.loads(res.stdout)["card"]
    assert card["preflight"]["total"] > 0 and card["previews"] and card["risk_tier"]
    shown = runner.invoke(app, ["approvals", "show", waiting])
    assert shown.exit_code == 0 and waiting in shown.stdout
    res = runner.invoke(app, ["approvals", "approve", waiting, "--as", "olivia"])
    assert res.exit_code == 1 and "may not approve" in res.output
    assert _sent(sqlite_engine, ANY) == 0


def test_approve_runs_to_the_end(waiting: str, sqlite_engine: Engine) -> None:
    res = runner.invoke(app, ["approvals", "approve", waiting, "--as", "ana", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["status"] == "completed" and out["sent"] == _sent(sqlite_engine) > 0
    again = runner.invoke(app, ["approvals", "approve", waiting, "--as", "bob"])
    assert again.exit_code == 1 and "already approved by ana" in again.output


def test_reject_revises_and_asks_again(waiting: str, sqlite_engine: Engine) -> None:
    res = runner.invoke(
        app, ["approvals", "reject", waiting, "--reason", "too expensive", "--as", "ana", "--json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["status"] == "awaiting_approval" and out["approval_id"] != waiting
    assert out["approvals"][0]["status"] == "rejected"
    assert _sent(sqlite_engine, ANY) == 0
    pending = json.loads(runner.invoke(app, ["approvals", "list", "--json"]).stdout)
    assert [a["id"] for a in pending] == [out["approval_id"]]


def test_the_editor_may_not_approve_from_the_cli(waiting: str, sqlite_engine: Engine) -> None:
    with open_runtime(engine=sqlite_engine) as rt:
        plan = rt.get(str(approvals.get(sqlite_engine, waiting).thread_id)).values["plan"]
        edit = {"type": "edit", "edited_action": {"name": "x", "args": {"plan": plan}}}
        edited = rt.decide(waiting, edit, actor="ana").approval_id
    assert edited and edited != waiting
    shown = runner.invoke(app, ["approvals", "show", edited])
    assert "edited by: ana" in shown.stdout
    res = runner.invoke(app, ["approvals", "approve", edited, "--as", "ana"])
    assert res.exit_code == 1 and "edited revision" in res.output, res.output
    assert _sent(sqlite_engine, ANY) == 0
    res = runner.invoke(app, ["approvals", "approve", edited, "--as", "bob", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["status"] == "completed", res.output

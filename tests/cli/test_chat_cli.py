"""`userops chat`: streamed progress, inline approval only for someone who may approve."""

from __future__ import annotations

import re

from sqlalchemy import Engine, text
from typer.testing import CliRunner

from tests.doubles import populate
from userops.cli.main import app

runner = CliRunner()
GOAL = "最近60天没下单的高价值用户有流失风险，做一次召回，预算5000元，晚上不要打扰。"


def test_chat_requester_waits_then_approver_decides_inline(sqlite_engine: Engine) -> None:
    populate(sqlite_engine, 150)
    res = runner.invoke(app, ["chat", "--as", "olivia"], input=f"{GOAL}\n/quit\n")
    assert res.exit_code == 0, res.output
    assert "[plan]" in res.output and "waiting for an approver" in res.output
    approval_id = re.search(r"approvals approve (\S+)", res.output).group(1)  # type: ignore[union-attr]
    with sqlite_engine.connect() as conn:
        thread = conn.execute(
            text("SELECT thread_id FROM approvals WHERE id = :i"), {"i": approval_id}
        ).scalar_one()
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar_one() == 0
    res = runner.invoke(app, ["chat", "--thread", thread, "--as", "ana"], input="approve\n/quit\n")
    assert res.exit_code == 0, res.output
    assert "[dispatch]" in res.output and "[lessons]" in res.output
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM approvals")).scalar_one() == "approved"

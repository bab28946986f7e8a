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


def _outbox(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM outbox")).scalar_one())


def test_chat_stays_open_when_the_requester_tries_to_approve(sqlite_engine: Engine) -> None:
    """Issue 14 item 6: "approve" by the requester, then a new goal, then /quit: no exit 1."""
    populate(sqlite_engine, 150)
    lines = f"{GOAL}\napprove\nwin back everyone\n\n/quit\n"
    res = runner.invoke(app, ["chat", "--as", "olivia"], input=lines)
    assert res.exit_code == 0, res.output
    assert "may not approve it" in res.output and "Who may approve: anyone else" in res.output
    assert "waits for approval" in res.output  # the goal typed at the gate is not a new run
    assert res.output.count("approval c-") >= 2  # Enter shows the card again
    assert _outbox(sqlite_engine) == 0


def test_chat_skip_then_chinese_decision_word(sqlite_engine: Engine) -> None:
    """`skip`, an unknown word, then 批准: the chat follows the thread and approves."""
    populate(sqlite_engine, 150)
    res = runner.invoke(app, ["chat", "--as", "olivia"], input=f"{GOAL}\n/quit\n")
    thread = re.search(r"--thread (\S+)", res.output).group(1)  # type: ignore[union-attr]
    lines = "skip\nmaybe later?\n批准\n/quit\n"
    res = runner.invoke(app, ["chat", "--thread", thread, "--as", "ana"], input=lines)
    assert res.exit_code == 0, res.output
    assert "stays pending" in res.output and "批准 | 驳回" in res.output
    assert "[dispatch]" in res.output and _outbox(sqlite_engine) > 0
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM approvals")).scalar_one() == "approved"


def test_chat_reject_with_reason_in_chinese_revises(sqlite_engine: Engine) -> None:
    populate(sqlite_engine, 150)
    res = runner.invoke(app, ["chat", "--as", "olivia"], input=f"{GOAL}\n/quit\n")
    thread = re.search(r"--thread (\S+)", res.output).group(1)  # type: ignore[union-attr]
    res = runner.invoke(
        app, ["chat", "--thread", thread, "--as", "ana"], input="驳回：只发邮件\n/quit\n"
    )
    assert res.exit_code == 0, res.output
    assert "审批意见“只发邮件”" in res.output
    with sqlite_engine.connect() as conn:
        rows = conn.execute(text("SELECT status FROM approvals ORDER BY revision")).scalars()
        assert list(rows) == ["rejected", "pending"]


def test_decision_words() -> None:
    from userops.cli.chat_words import parse_decision

    assert parse_decision("批准") == {"type": "approve"}
    assert parse_decision("OK") == {"type": "approve"}
    assert parse_decision("approve looks good") == {"type": "approve", "message": "looks good"}
    assert parse_decision("驳回，受众太大") == {"type": "reject", "message": "受众太大"}
    assert parse_decision("reject: email only") == {"type": "reject", "message": "email only"}
    assert parse_decision("留言 为什么是短信") == {"type": "respond", "message": "为什么是短信"}
    assert parse_decision("跳过") == {"type": "skip"}
    assert parse_decision("no SMS please") is None  # "no" alone rejects, not inside a sentence
    assert parse_decision("approvement") is None
    assert parse_decision("好久不见") is None

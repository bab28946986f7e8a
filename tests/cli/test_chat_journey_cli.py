"""`userops chat` with an always-on goal: a journey proposal, never a one-shot send."""

from __future__ import annotations

import re

from sqlalchemy import Engine, text
from typer.testing import CliRunner

from tests.doubles import populate
from userops.cli.main import app

runner = CliRunner()


def test_chat_turns_a_lifecycle_goal_into_a_journey(sqlite_engine: Engine) -> None:
    populate(sqlite_engine, 60)
    goal = "Whenever someone abandons a cart, wait 1 hour, push a reminder; exit when they order."
    res = runner.invoke(app, ["chat", "--as", "olivia"], input=f"{goal}\n/quit\n")
    assert res.exit_code == 0, res.output
    assert "[journey]" in res.output and "journey_proposed" in res.output
    jid = re.search(r"journeys approve (\S+) --version 1", res.output)
    assert jid is not None, res.output
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM approvals")).scalar_one() == 0
        row = conn.execute(
            text("SELECT status, created_by FROM journey_versions WHERE journey_id = :j"),
            {"j": jid.group(1)},
        ).one()
    assert tuple(row) == ("awaiting_approval", "olivia")

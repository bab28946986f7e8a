"""Intake asks before planning when the goal holds words the parser could not use.

``Goal.questions`` (an unknown channel, a place with no list, a number nothing used) go to
``clarify`` like a missing objective; the answer continues the goal, and what was asked is
not asked again.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from agents.runtime.threads import open_runtime
from tests.doubles import populate
from userops.settings import Settings


def test_questions_are_asked_then_the_answer_plans(sqlite_engine: Engine, home: Path) -> None:
    populate(sqlite_engine, 120)
    with open_runtime(settings=Settings(home=home), engine=sqlite_engine) as rt:
        res = rt.start("用WhatsApp召回90天没下单的用户", thread_id="q", actor="olivia")
        assert res.status == "needs_clarification" and res.values.get("plan") is None
        assert "WhatsApp" in res.values["messages"][-1].content
        res = rt.start("那就用短信", thread_id="q", actor="olivia")
    assert res.interrupt is not None, res.values["messages"][-1].content
    card = res.interrupt["action_requests"][0]["args"]
    assert card["plan"]["steps"][0]["channel_rule"]["preferred"] == ["sms"]
    assert any("WhatsApp" in a for a in res.values["goal"]["assumed"])

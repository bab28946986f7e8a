"""A follow-up in the same thread with no objective word continues the previous objective."""

from __future__ import annotations

import dataclasses

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from sqlalchemy import Engine

from agents.goal.parser import parse_goal
from agents.goal.text import explain_goal
from agents.nodes.deps import LoopDeps
from agents.nodes.planning import inherit_objective
from tests.agents.loop_doubles import LoopGraph, make_deps, seed_users

FOLLOW_UP = "this time only the high-value ones, email only"


def _deps(engine: Engine) -> LoopDeps:
    return dataclasses.replace(make_deps(engine), parse_goal=parse_goal)  # the real parser


def cfg(tid: str) -> dict:
    return {"configurable": {"thread_id": tid, "actor": "olivia"}}


def _said(out: dict) -> list[str]:
    return [str(m.content) for m in out["messages"]]


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    seed_users(sqlite_engine)
    return sqlite_engine


def test_follow_up_after_completed_campaign_inherits_objective(engine: Engine) -> None:
    g = LoopGraph(_deps(engine), InMemorySaver())
    g.invoke({"messages": [{"role": "user", "content": "win back lapsed buyers"}]}, cfg("f1"))
    done = g.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"}), cfg("f1"))
    assert done["status"] == "completed"
    assert parse_goal(FOLLOW_UP).objective is None  # on its own the words name no objective
    out = g.invoke({"messages": [{"role": "user", "content": FOLLOW_UP}]}, cfg("f1"))
    assert out["status"] != "needs_clarification"
    assert out["goal"]["objective"] == "win_back"
    assert out["goal"]["constraints"]["channels_allowed"] == ["email"]
    assert any("What I assumed" in s and "win-back" in s for s in _said(out)), _said(out)
    assert out["campaign_id"] != done["campaign_id"]


def test_first_message_without_objective_still_asks(engine: Engine) -> None:
    g = LoopGraph(_deps(engine), InMemorySaver())
    out = g.invoke({"messages": [{"role": "user", "content": FOLLOW_UP}]}, cfg("f2"))
    assert out["status"] == "needs_clarification"
    assert out["goal"]["objective"] is None


@pytest.mark.parametrize(
    ("status", "prev_objective", "inherited"),
    [
        ("completed", "vip_care", "vip_care"),
        ("blocked", "survey_feedback", "survey_feedback"),
        ("needs_clarification", "survey_feedback", None),  # an answer, not a follow-up
        ("refused", "win_back", None),
        ("completed", None, None),
    ],
)
def test_inherit_objective_rules(
    status: str, prev_objective: str | None, inherited: str | None
) -> None:
    goal = parse_goal("只发给高价值的用户，用邮件")
    state = {"status": status, "goal": {"objective": prev_objective}}
    got = inherit_objective(goal, state)  # type: ignore[arg-type]
    assert (got.objective.value if got.objective else None) == inherited
    assert bool(got.assumed) == (inherited is not None)
    if inherited:
        assert "我的假设" in explain_goal(got)


@pytest.mark.parametrize("words", ["hello", "再来一次", "thanks!"])
def test_follow_up_that_says_nothing_about_a_campaign_still_asks(words: str) -> None:
    got = inherit_objective(
        parse_goal(words), {"status": "completed", "goal": {"objective": "win_back"}}
    )  # type: ignore[arg-type]
    assert got.objective is None and not got.assumed


def test_explicit_objective_is_kept() -> None:
    goal = parse_goal("邀请高价值用户参加线下活动")
    got = inherit_objective(goal, {"status": "completed", "goal": {"objective": "win_back"}})  # type: ignore[arg-type]
    assert got.objective == goal.objective and not got.assumed

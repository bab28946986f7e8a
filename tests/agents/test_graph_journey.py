"""The loop graph branches: an always-on goal becomes a journey proposal, not a campaign."""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import Engine, text

from agents.evaluation.journey import JourneyEvaluator
from agents.planning.journey.propose import propose_journey
from tests.agents.loop_doubles import LoopGraph, make_deps, outbox_count, seed_users
from userops.dispatch.policy import Policy


def cfg(tid: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": tid, "actor": "olivia"}}


def _msg(text_: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text_}]}


@pytest.fixture
def graph(sqlite_engine: Engine) -> LoopGraph:
    seed_users(sqlite_engine)
    ev = JourneyEvaluator(sqlite_engine, Policy.with_overrides({}))

    def propose(goal: str, actor: str) -> dict[str, Any]:
        return propose_journey(sqlite_engine, goal, actor=actor, evaluator=ev)

    return LoopGraph(make_deps(sqlite_engine, propose_journey=propose), InMemorySaver())


def test_journey_goal_is_proposed_not_sent(graph: LoopGraph, sqlite_engine: Engine) -> None:
    out = graph.invoke(
        _msg("注册后1天推送上手教程，3天内没下单再发短信首单优惠，下单即退出"), cfg("j1")
    )
    assert out["status"] == "journey_proposed"
    j = out["journey"]
    assert j["approval_id"] == f"{j['journey_id']}:v1" and "__interrupt__" not in out
    assert any(j["journey_id"] in str(m.content) for m in out["messages"])
    assert outbox_count(sqlite_engine) == 0
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM approvals")).scalar() == 0
        assert conn.execute(text("SELECT status FROM journey_versions")).scalar() == (
            "awaiting_approval"
        )


def test_a_question_then_the_answer_continues_the_journey(graph: LoopGraph) -> None:
    out = graph.invoke(_msg("每当有事就发消息"), cfg("j2"))
    assert out["status"] == "needs_clarification" and out["journey"]["questions"]
    out = graph.invoke(_msg("注册后推送欢迎消息"), cfg("j2"))
    assert out["status"] == "journey_proposed", out["messages"][-1].content


def test_a_campaign_goal_still_goes_to_the_gate(graph: LoopGraph) -> None:
    out = graph.invoke(_msg("win back lapsed buyers"), cfg("j3"))
    assert "__interrupt__" in out and out.get("journey") is None


def test_the_servers_authenticated_user_is_the_requester(sqlite_engine: Engine) -> None:
    seen: list[str] = []

    def propose(goal: str, actor: str) -> dict[str, Any]:
        seen.append(actor)
        return {"status": "refused", "message": "no"}

    graph = LoopGraph(make_deps(sqlite_engine, propose_journey=propose), InMemorySaver())
    conf = {"configurable": {"thread_id": "j4", "langgraph_auth_user_id": "ana", "actor": "x"}}
    graph.invoke(_msg("注册后推送欢迎消息"), conf)
    assert seen == ["ana"]

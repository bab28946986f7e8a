"""The LLM journey planner answers with a JourneySpec through structured output (a double)."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import Engine

from agents.evaluation.journey import JourneyEvaluator
from agents.planning.journey.build import build_spec
from agents.planning.journey.llm import LLMJourneyPlanner
from agents.planning.journey.propose import plan_journey, propose_journey
from agents.planning.journey.reader import read_goal
from tests.doubles import ScriptedChatModel
from userops.dispatch.policy import Policy

GOAL = "注册后1天推送上手教程，3天内没下单再发短信首单优惠，下单即退出"


def _reference() -> dict[str, Any]:
    return build_spec(read_goal(GOAL))[0].dump()


def _evaluator() -> JourneyEvaluator:
    return JourneyEvaluator(policy=Policy.with_overrides({}))


def test_the_model_spec_is_used_when_it_passes() -> None:
    answer = _reference()
    answer["name"] = "新人7日上手"
    answer["nodes"][1]["variants"][0]["title"] = "三分钟学会下第一单"
    model = ScriptedChatModel(steps=[answer])
    spec, _, verdict = plan_journey(read_goal(GOAL), LLMJourneyPlanner(model), _evaluator())
    assert verdict.verdict == "pass", verdict.findings
    assert spec is not None and spec.name == "新人7日上手"
    model.assert_all_used()
    assert model.tool_names[0] == ["JourneySpec"]  # function calling with the spec's schema


def test_a_dropped_wait_goes_back_to_the_model_with_the_finding() -> None:
    dropped = copy.deepcopy(_reference())
    dropped["nodes"][2]["timeout"] = {"days": 7}  # the goal says 3 days
    model = ScriptedChatModel(steps=[dropped, _reference()])
    spec, _, verdict = plan_journey(read_goal(GOAL), LLMJourneyPlanner(model), _evaluator())
    assert verdict.verdict == "pass"
    second = "\n".join(str(m.content) for m in model.calls[1])
    assert "3天内没下单" in second and "goal_fidelity" in second
    assert spec is not None and spec.dump()["nodes"][2]["timeout"]["days"] == 3


def test_invalid_answers_fall_back_to_the_offline_planner() -> None:
    bad = _reference()
    bad["nodes"][0]["next"] = "nowhere"
    model = ScriptedChatModel(steps=[bad, bad])
    spec, _, verdict = plan_journey(read_goal(GOAL), LLMJourneyPlanner(model), _evaluator())
    assert verdict.verdict == "pass"
    assert spec is not None and spec.dump() == _reference()
    kept = [f for f in verdict.findings if f.check == "spec"]
    assert kept and all(f.severity == "warn" for f in kept)
    assert "nowhere" in kept[0].message


def test_propose_with_the_model(sqlite_engine: Engine) -> None:
    model = ScriptedChatModel(steps=[_reference()])
    got = propose_journey(sqlite_engine, GOAL, actor="ops", planner=LLMJourneyPlanner(model))
    assert got["status"] == "awaiting_approval" and got["version"] == 1


def test_a_model_that_is_down_gives_way_to_the_offline_planner() -> None:
    from userops.errors import ModelUnavailable

    def down(_messages: object) -> object:
        raise ModelUnavailable("journey spec: HTTP 503: overloaded")

    model = ScriptedChatModel(steps=[down])
    spec, _, verdict = plan_journey(read_goal(GOAL), LLMJourneyPlanner(model), _evaluator())
    assert verdict.verdict == "pass" and spec is not None and spec.dump() == _reference()
    assert [f.severity for f in verdict.findings if f.check == "model"] == ["warn"]
    model.assert_all_used()  # asked once, not again after it was down

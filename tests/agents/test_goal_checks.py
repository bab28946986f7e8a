"""Issue 14 item 2: the evaluator holds the plan to every explicit constraint of the goal.

Each finding is an error (the planner revises; the approver sees it if it cannot) that
quotes the operator's words: channel order and fallback wait, content exclusions (the
``{offer}`` placeholder counts as a discount), each recipient's language.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from agents.evaluation.evaluator import PlanEvaluator
from agents.goal.parser import parse_goal
from agents.planning.offline import OfflinePlanner
from agents.planning.revise import amend
from tests.doubles import make_ctx, populate
from userops.dispatch.models import FallbackRule


@pytest.fixture
def ctx(sqlite_engine):
    populate(sqlite_engine, 120)
    return make_ctx(sqlite_engine)


def errors(verdict, check):
    return [f for f in verdict.findings if f.check == check and f.severity == "error"]


def with_rule(plan, **rule):
    step = plan.steps[0]
    new = step.channel_rule.model_copy(update=rule)
    return plan.model_copy(update={"steps": [step.model_copy(update={"channel_rule": new})]})


ORDER = "先推送，没打开的话48小时后再发短信，召回90天没下单的用户"


def test_offline_plan_keeps_the_order_and_passes(ctx):
    goal = parse_goal(ORDER)
    plan = OfflinePlanner(ctx).plan(goal, [], None)
    rule = plan.steps[0].channel_rule
    assert rule.preferred == ["app_push"] and rule.fallback is not None
    assert (rule.fallback.channel, rule.fallback.after_seconds) == ("sms", 48 * 3600)
    v = PlanEvaluator(ctx).evaluate(goal, plan)
    assert not errors(v, "channel_order"), v.findings


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"preferred": ["sms", "app_push"]}, "首选渠道应为 app_push"),
        ({"fallback": None}, "兜底渠道应为 sms"),
        ({"fallback": FallbackRule(channel="sms", after_seconds=3600)}, "应等待 48 小时"),
    ],
)
def test_order_fallback_and_wait_are_checked_and_quoted(ctx, rule, expected):
    goal = parse_goal(ORDER)
    plan = with_rule(OfflinePlanner(ctx).plan(goal, [], None), **rule)
    v = PlanEvaluator(ctx).evaluate(goal, plan)
    found = errors(v, "channel_order")
    assert v.verdict == "revise" and found
    assert expected in found[0].message
    assert "需求原话：“先推送”" in found[0].message
    assert found[0].detail["said_by"] == "operator"


def test_offer_placeholder_counts_as_a_discount(ctx):
    goal = parse_goal("Win back customers who have not ordered in 90 days, no discounts")
    plan = OfflinePlanner(ctx).plan(goal, [], None)
    step = plan.steps[0]
    assert "offer" not in step.personas
    assert not errors(PlanEvaluator(ctx).evaluate(goal, plan), "content_exclusion")
    v0 = step.variants[0]
    bad = v0.model_copy(update={"body": v0.body.replace("。", "，{offer}。", 1)})
    plan = plan.model_copy(
        update={"steps": [step.model_copy(update={"variants": [bad, *step.variants[1:]]})]}
    )
    v = PlanEvaluator(ctx).evaluate(goal, plan)
    found = errors(v, "content_exclusion")
    assert found and found[0].detail["found"] == {"discount": "{offer}"}
    assert 'you said: "no discounts"' in found[0].message


def test_exclusions_drop_gift_words_from_the_templates(ctx):
    goal = parse_goal("新用户引导，不要送礼品")
    plan = OfflinePlanner(ctx).plan(goal, [], None)
    copy = " ".join(v.body + (v.title or "") for v in plan.steps[0].variants)
    assert "礼" not in copy and "{offer}" not in copy
    assert not errors(PlanEvaluator(ctx).evaluate(goal, plan), "content_exclusion")


def test_budget_and_cap_findings_quote_the_operator(ctx):
    goal = parse_goal("召回90天没下单的用户，预算0.01元，最多发10人")
    plan = OfflinePlanner(ctx).plan(goal, [], None).model_copy(update={"budget": 50})
    v = PlanEvaluator(ctx).evaluate(goal, plan)
    budget = errors(v, "budget")
    assert budget and "需求原话：“预算0.01元”" in budget[0].message


def test_approver_words_are_quoted_for_their_constraints(ctx):
    goal = parse_goal("Win back customers who have not ordered in 90 days")
    plan = OfflinePlanner(ctx).plan(goal, [], None)
    amended = amend(goal, "email only").goal
    v = PlanEvaluator(ctx).evaluate(amended, plan)
    found = errors(v, "channel")
    assert found and 'the approver said: "email only"' in found[0].message


def test_recipients_get_copy_in_their_own_language(ctx, sqlite_engine):
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE traits SET language = 'en' WHERE user_id % 2 = 0"))
    goal = parse_goal("召回90天没下单的用户")
    plan = OfflinePlanner(ctx).plan(goal, [], None)
    langs = {v.language for v in plan.steps[0].variants}
    assert langs == {"zh", "en"}
    ev = PlanEvaluator(ctx)
    assert not errors(ev.evaluate(goal, plan), "language")
    zh_only = plan.model_copy(
        update={
            "steps": [
                plan.steps[0].model_copy(
                    update={"variants": [v for v in plan.steps[0].variants if v.language == "zh"]}
                )
            ]
        }
    )
    found = errors(ev.evaluate(goal, zh_only), "language")
    assert found and found[0].detail["pairs"].get("en<-zh", 0) > 0


def test_copy_language_asked_by_the_operator_wins(ctx):
    goal = parse_goal("召回90天没下单的用户，用英文发")
    assert goal.constraints.content_language == "en"
    plan = OfflinePlanner(ctx).plan(goal, [], None)
    assert {v.language for v in plan.steps[0].variants} == {"en"}
    assert not errors(PlanEvaluator(ctx).evaluate(goal, plan), "language")

import pytest

from agents.evaluation.evaluator import PlanEvaluator
from agents.evaluation.judge import LLMJudge
from agents.goal.parser import parse_goal
from agents.planning.offline import OfflinePlanner
from agents.schema import JudgeScores
from tests.doubles import ScriptedChatModel, make_ctx, populate

GOAL = "最近60天没下单的高价值用户有流失风险，做一次召回，预算5000元，晚上不要打扰。"


@pytest.fixture
def ctx(sqlite_engine):
    populate(sqlite_engine, 120)
    return make_ctx(sqlite_engine)


@pytest.fixture
def good(ctx):
    goal = parse_goal(GOAL)
    return goal, OfflinePlanner(ctx).plan(goal, [], None)


def checks(verdict, severity="error"):
    return {f.check for f in verdict.findings if f.severity == severity}


def edit_variant(plan, **changes):
    step = plan.steps[0]
    v = step.variants[0].model_copy(update=changes)
    return plan.model_copy(
        update={"steps": [step.model_copy(update={"variants": [v, *step.variants[1:]]})]}
    )


def test_good_plan_passes_with_preflight(ctx, good):
    goal, plan = good
    v = PlanEvaluator(ctx).evaluate(goal, plan)
    assert v.verdict == "pass", v.findings
    assert v.preflight is not None and v.preflight.total > 0
    assert v.scores is None


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"body": "【{brand}】{name}，保证100%有效，全网最低价！回T退订"}, "claims"),
        ({"body": "【{brand}】{name}，有问题请致电13800138000 回T退订"}, "contact_data"),
        ({"body": "【{brand}】{name}, we miss you. Reply STOP to opt out"}, "language"),
        ({"body": "{name}，好久不见"}, "content_rule"),
    ],
)
def test_content_findings_ask_for_revision(ctx, good, changes, check):
    goal, plan = good
    v = PlanEvaluator(ctx).evaluate(goal, edit_variant(plan, channel="sms", **changes))
    assert v.verdict == "revise"
    assert check in checks(v)


def test_missing_holdout_and_forbidden_channel(ctx, good):
    goal, plan = good
    goal = goal.model_copy(
        update={"constraints": goal.constraints.model_copy(update={"channels_forbidden": ["sms"]})}
    )
    step = plan.steps[0].model_copy(update={"holdout_share": 0.0})
    v = PlanEvaluator(ctx).evaluate(goal, plan.model_copy(update={"steps": [step]}))
    assert {"holdout", "channel"} <= checks(v)


def test_recipients_outside_goal_audience_are_found(ctx, good):
    goal, plan = good
    from userops.cdp.segments.spec import SegmentSpec

    wide = plan.steps[0].model_copy(update={"segment": SegmentSpec()})
    v = PlanEvaluator(ctx).evaluate(goal, plan.model_copy(update={"steps": [wide]}))
    audience = [f for f in v.findings if f.check == "audience"]
    assert audience and audience[0].detail["outside"] > 0
    assert v.verdict == "revise"


def test_empty_audience_blocks(ctx):
    goal = parse_goal("召回最近500天没下单的用户")
    plan = OfflinePlanner(ctx).plan(goal, [], None)
    v = PlanEvaluator(ctx).evaluate(goal, plan)
    assert v.verdict == "block"
    assert "audience" in checks(v, "block")


def test_over_cap_and_budget(ctx):
    goal = parse_goal("召回流失用户")
    plan = OfflinePlanner(ctx).plan(goal, [], None)
    tight = goal.model_copy(
        update={
            "constraints": goal.constraints.model_copy(update={"max_recipients": 1, "budget": 0.0})
        }
    )
    v = PlanEvaluator(ctx).evaluate(tight, plan)
    assert {"max_recipients", "budget"} <= checks(v)


def test_forbidden_goal_items_are_reported(ctx):
    goal = parse_goal("召回流失用户，忽略频控")
    plan = OfflinePlanner(ctx).plan(goal, [], None)
    v = PlanEvaluator(ctx).evaluate(goal, plan)
    assert [f.message for f in v.findings if f.check == "forbidden_goal"] == goal.forbidden


def test_llm_judge_scores_and_low_relevance_revises(ctx, good):
    goal, plan = good
    model = ScriptedChatModel(
        steps=[
            JudgeScores(relevance=5, personalization=4, tone=5, comment="fits"),
            JudgeScores(relevance=1, personalization=2, tone=4, comment="off-goal"),
        ]
    )
    ev = PlanEvaluator(ctx, judge=LLMJudge(model))
    first, second = ev.evaluate(goal, plan), ev.evaluate(goal, plan)
    model.assert_all_used()
    assert first.verdict == "pass" and first.scores.relevance == 5
    assert second.verdict == "revise" and "judge" in checks(second)
    assert ev.llm_calls == 2
    assert model.tool_names[0] == ["JudgeScores"]
    assert all("13800" not in t for t in model.prompt_texts())


def test_with_the_real_dispatch_preflight(sqlite_engine):
    from tools.context import ToolContext

    populate(sqlite_engine, 120)
    ctx = ToolContext(engine=sqlite_engine)
    goal = parse_goal("Win back churned users; budget 100")
    plan = OfflinePlanner(ctx).plan(goal, [], None)
    v = PlanEvaluator(ctx).evaluate(goal, plan)
    assert v.verdict == "pass", [f for f in v.findings if f.severity != "info"]
    assert v.preflight.would_send + v.preflight.deferred > 0
    assert "content_rule" not in v.preflight.suppressed and v.preflight.warnings == []


def test_send_window_is_enforced_not_merely_flagged(ctx):
    goal = parse_goal("召回流失用户，只在10点到18点发送")
    assert (goal.constraints.send_window.start, goal.constraints.send_window.end) == (
        "10:00",
        "18:00",
    )
    v = PlanEvaluator(ctx).evaluate(goal, OfflinePlanner(ctx).plan(goal, [], None))
    assert "send_window" in checks(v, "info")
    assert "send_window" not in checks(v, "warn") | checks(v, "block")


def test_a_window_inside_quiet_hours_blocks_the_plan(ctx):
    goal = parse_goal("Win back churned users, only between 10pm and 11pm")
    assert (goal.constraints.send_window.start, goal.constraints.send_window.end) == (
        "22:00",
        "23:00",
    )
    v = PlanEvaluator(ctx).evaluate(goal, OfflinePlanner(ctx).plan(goal, [], None))
    assert v.verdict == "block" and "send_window" in checks(v, "block")


def test_no_holdout_request_is_refused(ctx):
    goal = parse_goal("Win back churned users, no holdout")
    plan = OfflinePlanner(ctx).plan(goal, [], None)
    assert goal.forbidden and "holdout" in goal.forbidden[0]
    assert plan.steps[0].holdout_share >= 0.05


def test_deadline_checks(ctx):
    from datetime import date

    from agents.evaluation.checks import check_timing

    goal = parse_goal("召回流失用户，12月1日前完成", today=date(2026, 11, 23))
    plan = OfflinePlanner(ctx).plan(goal, [], None)
    assert check_timing(goal, plan, today=date(2026, 11, 23)) == []
    late = plan.steps[0].model_copy(update={"send_at": "2026-12-05T10:00:00+08:00"})
    found = check_timing(goal, plan.model_copy(update={"steps": [late]}), today=date(2026, 11, 23))
    assert [(f.check, f.severity) for f in found] == [("deadline", "error")]
    passed = check_timing(goal, plan, today=date(2026, 12, 2))
    assert [(f.check, f.severity) for f in passed] == [("deadline", "warn")]


def test_empty_holdout_is_flagged(sqlite_engine):
    from tests.doubles import fake_preflight

    populate(sqlite_engine, 120)

    def no_holdout(engine, step):
        return fake_preflight(engine, step.model_copy(update={"holdout": []}))

    ctx = make_ctx(sqlite_engine, preflight_fn=no_holdout)
    goal = parse_goal(GOAL)
    v = PlanEvaluator(ctx).evaluate(goal, OfflinePlanner(ctx).plan(goal, [], None))
    assert "holdout" in checks(v, "warn")
    assert v.verdict == "pass"


def test_judge_is_not_asked_about_failing_plans(ctx, good):
    goal, plan = good
    model = ScriptedChatModel(steps=[])
    bad = edit_variant(plan, channel="sms", body="【{brand}】保证100%有效 回T退订")
    ev = PlanEvaluator(ctx, judge=LLMJudge(model))
    v = ev.evaluate(goal, bad)
    assert v.verdict == "revise" and v.scores is None and ev.llm_calls == 0


def test_plan_language_must_match(ctx, good):
    goal, plan = good
    v = PlanEvaluator(ctx).evaluate(goal, plan.model_copy(update={"language": "en"}))
    assert "language" in checks(v)

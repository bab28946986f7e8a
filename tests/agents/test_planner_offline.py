import pytest

from agents.evaluation.evaluator import PlanEvaluator
from agents.goal.parser import parse_goal
from agents.planning.offline import OfflinePlanner
from agents.schema import Finding
from tests.doubles import dumps, make_ctx, populate
from tools.dispatch import preflight_plan
from userops.dispatch.content_rules import check_content
from userops.errors import UsageError

WIN_BACK = "最近60天没下单的高价值用户有流失风险，做一次召回，预算5000元，晚上不要打扰。"


@pytest.fixture
def ctx(sqlite_engine):
    populate(sqlite_engine, 120)
    return make_ctx(sqlite_engine)


def test_plan_covers_personas_and_channels_in_goal_language(ctx):
    plan = OfflinePlanner(ctx).plan(parse_goal(WIN_BACK), [], None)
    step = plan.steps[0]
    assert plan.objective.value == "win_back" and plan.language == "zh"
    assert len(step.personas) >= 2
    assert {(v.persona, v.channel) for v in step.variants} == {
        (p, c) for p in step.personas for c in step.channel_rule.preferred
    }
    assert all(v.language == "zh" and not check_content(v) for v in step.variants)
    assert step.holdout_share > 0
    assert plan.budget == 5000
    assert "days_since_last_order>=60" in plan.rationale


def test_every_recipient_satisfies_goal_audience(ctx):
    goal = parse_goal(WIN_BACK)
    plan = OfflinePlanner(ctx).plan(goal, [], None)
    pre = preflight_plan(ctx, plan, campaign_id="c1")
    allowed = set(ctx.segment_ids(goal.audience))
    recipients = [u for u, _, _ in pre.step.assignments] + pre.step.holdout
    assert recipients and set(recipients) <= allowed


def test_email_only_and_no_sms(sqlite_engine):
    populate(sqlite_engine, 80)
    ctx = make_ctx(sqlite_engine)
    plan = OfflinePlanner(ctx).plan(parse_goal("Welcome new users, email only"), [], None)
    assert {v.channel for v in plan.steps[0].variants} == {"email"}
    assert all("Reply STOP" not in v.body for v in plan.steps[0].variants)
    plan = OfflinePlanner(ctx).plan(parse_goal("召回流失用户，不要发短信"), [], None)
    assert "sms" not in plan.steps[0].channel_rule.preferred
    assert plan.steps[0].channel_rule.fallback is None


def test_max_recipients_caps_the_segment(ctx):
    plan = OfflinePlanner(ctx).plan(parse_goal("召回流失用户，最多10人"), [], None)
    pre = preflight_plan(ctx, plan, campaign_id="c1")
    assert plan.steps[0].segment.limit == 10
    assert len(pre.step.assignments) <= 10


def test_forbidden_requests_never_reach_the_plan(ctx):
    text = "召回流失用户，也给已退订的用户发，凌晨3点发，忽略频控，在短信里写上客服电话13800138000"
    goal = parse_goal(text)
    plan = OfflinePlanner(ctx).plan(goal, [], None)
    clean = OfflinePlanner(ctx).plan(parse_goal("召回流失用户"), [], None)
    assert plan.steps[0].model_dump() == clean.steps[0].model_dump()
    assert len(goal.forbidden) == 4
    assert "不会执行" in plan.rationale
    assert "13800138000" not in dumps(plan.model_dump())


def test_missing_objective_raises(ctx):
    with pytest.raises(UsageError):
        OfflinePlanner(ctx).plan(parse_goal("随便做点什么"), [], None)


def test_over_budget_revision_converges(ctx):
    goal = parse_goal("召回流失用户，预算0.05元")
    planner, evaluator = OfflinePlanner(ctx), PlanEvaluator(ctx)
    plan = planner.plan(goal, [], None)
    verdicts = []
    for _ in range(3):
        verdict = evaluator.evaluate(goal, plan)
        verdicts.append(verdict.verdict)
        if verdict.verdict != "revise":
            break
        plan = planner.plan(goal, verdict.findings, plan)
    assert verdicts[0] == "revise" and verdicts[-1] == "pass"
    assert verdict.preflight.cost <= 0.05
    assert "sms" not in plan.steps[0].channel_rule.preferred
    assert plan.revision == len(verdicts) - 1


def test_budget_feedback_lowers_recipients(ctx):
    goal = parse_goal("召回流失用户，只发短信")
    first = OfflinePlanner(ctx).plan(goal, [], None)
    fb = [
        Finding(
            check="budget", severity="error", message="x", detail={"cost": 2.0, "recipients": 40}
        )
    ]
    goal2 = goal.model_copy(
        update={"constraints": goal.constraints.model_copy(update={"budget": 1.0})}
    )
    second = OfflinePlanner(ctx).plan(goal2, fb, first)
    assert second.steps[0].segment.limit is not None
    assert second.steps[0].segment.limit <= 20
    assert second.revision == 1


def test_deterministic(ctx):
    goal = parse_goal("Win back high-value customers who have not ordered in 60 days")
    a = OfflinePlanner(ctx).plan(goal, [], None)
    b = OfflinePlanner(ctx).plan(goal, [], None)
    assert a.model_dump() == b.model_dump()
    # the operator writes English, the (generated) population reads Chinese: the copy is zh
    assert a.language == "en" and all(v.language == "zh" for v in a.steps[0].variants)


def test_prompt_injection_in_feedback_changes_nothing(sqlite_engine, tmp_path):
    from userops.store.engine import make_engine, upgrade

    populate(sqlite_engine, 80, injection=False)
    other = make_engine(f"sqlite:///{tmp_path / 'inj.db'}")
    upgrade(other)
    populate(other, 80, injection=True)
    goal = parse_goal(WIN_BACK)
    results = []
    for eng in (sqlite_engine, other):
        ctx = make_ctx(eng)
        plan = OfflinePlanner(ctx).plan(goal, [], None)
        pre = preflight_plan(ctx, plan, campaign_id="c1")
        results.append((plan.model_dump(), pre.step.assignments, pre.step.holdout))
    other.dispose()
    assert results[0] == results[1]


def test_language_finding_regenerates_in_goal_language(ctx):
    zh_plan = OfflinePlanner(ctx).plan(parse_goal("召回流失用户"), [], None)
    goal = parse_goal("Win back churned users, write the copy in English")  # not their own
    fb = [Finding(check="language", severity="error", message="content language differs")]
    revised = OfflinePlanner(ctx).plan(goal, fb, zh_plan)
    assert revised.revision == 1 and revised.language == "en"
    assert all(v.language == "en" for v in revised.steps[0].variants)
    assert "language" in revised.rationale


def test_large_audiences_get_an_ab_headline_test(sqlite_engine):
    populate(sqlite_engine, 2500)
    ctx = make_ctx(sqlite_engine)
    plan = OfflinePlanner(ctx).plan(parse_goal("召回流失用户"), [], None)
    step = plan.steps[0]
    main = step.channel_rule.preferred[0]
    assert step.ab_split == {"a": 0.5, "b": 0.5}
    b_ids = {v.variant_id for v in step.variants if v.variant_id.endswith("-b")}
    assert b_ids == {f"{p}-{main}-b" for p in step.personas}
    pre = preflight_plan(ctx, plan, campaign_id="c1")
    on_main = [v for _, ch, v in pre.step.assignments if ch == main]
    share_b = sum(v.endswith("-b") for v in on_main) / len(on_main)
    assert 0.35 < share_b < 0.65

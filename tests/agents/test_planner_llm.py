import pytest
from langchain_core.messages import ToolMessage

from agents.goal.parser import parse_goal
from agents.planning.common import personas_of
from agents.planning.llm import LLMPlanner, PlanDraft
from tests.doubles import ScriptedChatModel, ScriptRanOut, dumps, make_ctx, populate, tool_call
from tools.content_llm import ContentDraft
from tools.dispatch import preflight_plan
from tools.segments import audience_stats
from userops.dispatch.content_rules import check_content
from userops.privacy import find_contact_data

GOAL = "召回最近60天没下单的高价值用户，只发邮件，预算500元，联系人电话13900001111"
AUDIENCE = {"all": [{"field": "days_since_last_order", "op": ">=", "value": 60}]}


@pytest.fixture
def ctx(sqlite_engine):
    populate(sqlite_engine, 120)
    return make_ctx(sqlite_engine)


def n_personas(ctx, goal):
    return len(personas_of(audience_stats(ctx, ctx.segment_ids(goal.audience))))


def script(n_content, draft=None, explore=None):
    explore = (
        explore
        if explore is not None
        else [
            tool_call("trait_catalog", {}),
            tool_call("preview_segment", {"segment": AUDIENCE}),
            tool_call("search_profiles", {"query": "coffee phone", "k": 3}),
            "ready",
        ]
    )
    draft = draft or PlanDraft(
        name="召回高价值",
        segment=AUDIENCE,
        channels=["email"],
        personas=["offer"],
        rationale="理由",
    )
    content = [
        ContentDraft(headline="{name}，好久不见", angle="为您准备了回归礼{offer}", cta="回来看看")
        for _ in range(n_content)
    ]
    return [*explore, draft, *content]


def test_tool_loop_structured_plan_and_content(ctx):
    goal = parse_goal(GOAL)
    model = ScriptedChatModel(steps=script(n_personas(ctx, goal)))
    planner = LLMPlanner(ctx, model)
    plan = planner.plan(goal, [], None)
    model.assert_all_used()
    step = plan.steps[0]
    assert step.channel_rule.preferred == ["email"]
    assert len(step.personas) >= 2
    assert all(v.channel == "email" and not check_content(v) for v in step.variants)
    assert "{unsubscribe_url}" in step.variants[0].html
    assert planner.llm_calls == len(model.calls)
    assert set(model.tool_names[0]) >= {"trait_catalog", "preview_segment", "search_profiles"}
    tool_answers = [m for m in model.calls[4] if isinstance(m, ToolMessage)]
    assert len(tool_answers) == 3 and '"size"' in tool_answers[1].content
    assert "<untrusted_data>" in tool_answers[2].content


def test_no_contact_data_in_any_prompt(ctx):
    goal = parse_goal(GOAL)
    model = ScriptedChatModel(steps=script(n_personas(ctx, goal)))
    LLMPlanner(ctx, model).plan(goal, [], None)
    texts = model.prompt_texts()
    assert any("coffee" in t for t in texts)  # the search answer did reach the model
    leaks = [(k, v) for t in texts for k, v in find_contact_data(t)]
    assert leaks == []
    assert not any("@example.com" in t or "13900001111" in t for t in texts)


def test_draft_cannot_widen_audience_or_break_constraints(ctx):
    goal = parse_goal("召回最近60天没下单的高价值用户，不要发短信，最多5人")
    wide = PlanDraft(
        name="all", segment={"all": []}, channels=["sms", "app_push"], holdout_share=0.0
    )
    n = n_personas(ctx, goal)
    model = ScriptedChatModel(steps=script(n, draft=wide, explore=["ok"]))
    plan = LLMPlanner(ctx, model).plan(goal, [], None)
    model.assert_all_used()
    step = plan.steps[0]
    assert "sms" not in step.channel_rule.preferred
    assert step.holdout_share >= 0.05
    assert step.segment.limit == 5
    allowed = set(ctx.segment_ids(goal.audience))
    pre = preflight_plan(ctx, plan, campaign_id="c")
    assert {u for u, _, _ in pre.step.assignments} <= allowed


def test_invalid_segment_is_sent_back_once(ctx):
    goal = parse_goal(GOAL)
    bad = PlanDraft(name="x", segment={"all": [{"field": "bogus_field", "op": "=", "value": 1}]})
    good = PlanDraft(name="x", segment=AUDIENCE, channels=["email"])
    n = n_personas(ctx, goal)
    model = ScriptedChatModel(
        steps=[*script(n, draft=bad, explore=["ok"])[:2], good, *script(n)[5:]]
    )
    LLMPlanner(ctx, model).plan(goal, [], None)
    model.assert_all_used()
    retry_prompt = model.calls[2][-1].content
    assert "bogus_field" in retry_prompt


def test_tool_loop_is_bounded(ctx):
    goal = parse_goal(GOAL)
    loop = [tool_call("population_overview", {}, f"c{i}") for i in range(2)]
    n = n_personas(ctx, goal)
    model = ScriptedChatModel(steps=script(n, explore=loop))
    LLMPlanner(ctx, model, max_steps=2).plan(goal, [], None)
    model.assert_all_used()
    assert model.tool_names[2] == ["PlanDraft"]


def test_bad_tool_arguments_come_back_as_errors(ctx):
    goal = parse_goal(GOAL)
    explore = [
        tool_call("preview_segment", {"segment": {"all": [{"field": "nope", "op": "="}]}}),
        tool_call("no_such_tool", {}),
        "ok",
    ]
    model = ScriptedChatModel(steps=script(n_personas(ctx, goal), explore=explore))
    LLMPlanner(ctx, model).plan(goal, [], None)
    answers = [m.content for m in model.calls[2] if isinstance(m, ToolMessage)]
    assert answers[0].startswith("error:") and "nope" in answers[0]
    assert answers[1].startswith("error: unknown tool")


def test_content_calls_do_not_grow_with_audience(sqlite_engine, tmp_path):
    from userops.store.engine import make_engine, upgrade

    big = make_engine(f"sqlite:///{tmp_path / 'big.db'}")
    upgrade(big)
    populate(sqlite_engine, 60)
    populate(big, 600)
    goal = parse_goal(GOAL)
    counts = []
    for eng in (sqlite_engine, big):
        ctx = make_ctx(eng)
        model = ScriptedChatModel(steps=script(n_personas(ctx, goal)))
        LLMPlanner(ctx, model).plan(goal, [], None)
        model.assert_all_used()
        counts.append(len(model.calls))
    big.dispose()
    assert counts[0] == counts[1]


def test_prompt_injection_in_profiles_changes_nothing(sqlite_engine, tmp_path):
    from userops.store.engine import make_engine, upgrade

    other = make_engine(f"sqlite:///{tmp_path / 'inj.db'}")
    upgrade(other)
    populate(sqlite_engine, 80)
    populate(other, 80, injection=True)
    goal = parse_goal(GOAL)
    out = []
    for eng in (sqlite_engine, other):
        ctx = make_ctx(eng)
        model = ScriptedChatModel(steps=script(n_personas(ctx, goal)))
        plan = LLMPlanner(ctx, model).plan(goal, [], None)
        pre = preflight_plan(ctx, plan, campaign_id="c")
        out.append((dumps(plan.model_dump()), pre.step.assignments, pre.step.holdout))
        texts = model.prompt_texts()
    other.dispose()
    assert out[0] == out[1]
    # The injected text only ever reached the model fenced as untrusted data.
    hits = [t for t in texts if "IGNORE ALL PREVIOUS" in t]
    assert hits and all("<untrusted_data>" in t for t in hits)


def test_script_running_out_fails_loudly(ctx):
    goal = parse_goal(GOAL)
    model = ScriptedChatModel(steps=["ok"])
    with pytest.raises(ScriptRanOut):
        LLMPlanner(ctx, model).plan(goal, [], None)


def test_unused_steps_fail():
    model = ScriptedChatModel(steps=["a", "b"])
    model.invoke("hi")
    with pytest.raises(AssertionError, match="never used"):
        model.assert_all_used()


def test_revision_sends_findings_to_the_model(ctx):
    from agents.schema import Finding

    goal = parse_goal(GOAL)
    n = n_personas(ctx, goal)
    model = ScriptedChatModel(steps=script(n, explore=["ok"]) + script(n, explore=["ok"]))
    planner = LLMPlanner(ctx, model)
    first = planner.plan(goal, [], None)
    fb = [Finding(check="claims", severity="error", message="forbidden claims: ['最低价']")]
    second = planner.plan(goal, fb, first)
    model.assert_all_used()
    assert (first.revision, second.revision) == (0, 1)
    task = model.calls[2 + n][1].content
    assert "最低价" in task and "[claims/error]" in task


def test_llm_plan_passes_the_real_evaluator(sqlite_engine):
    from agents.evaluation.evaluator import PlanEvaluator
    from agents.evaluation.judge import LLMJudge
    from agents.schema import JudgeScores
    from tools.context import ToolContext

    populate(sqlite_engine, 120)
    ctx = ToolContext(engine=sqlite_engine)
    goal = parse_goal(GOAL)
    model = ScriptedChatModel(steps=script(n_personas(ctx, goal), explore=["ok"]))
    plan = LLMPlanner(ctx, model).plan(goal, [], None)
    judge = ScriptedChatModel(steps=[JudgeScores(relevance=4, personalization=4, tone=5)])
    verdict = PlanEvaluator(ctx, judge=LLMJudge(judge)).evaluate(goal, plan)
    model.assert_all_used()
    judge.assert_all_used()
    assert verdict.verdict == "pass", [f for f in verdict.findings if f.severity != "info"]
    assert verdict.scores.relevance == 4


def test_unreadable_answers_fall_back_to_goal_and_templates(ctx):
    goal = parse_goal(GOAL)
    n = n_personas(ctx, goal)
    steps = ["ok", "not a plan", {"name": 5, "holdout_share": 9}, *[{"headline": None}] * n]
    model = ScriptedChatModel(steps=steps)
    planner = LLMPlanner(ctx, model)
    plan = planner.plan(goal, [], None)
    model.assert_all_used()
    assert planner.llm_calls == len(steps)
    assert "error: the plan could not be read" in model.calls[2][-1].content
    step = plan.steps[0]
    assert step.segment.all_ == goal.audience.all_
    assert step.channel_rule.preferred == ["email"]
    assert all(not check_content(v) for v in step.variants)
    from tools.content import template_variants

    expected = template_variants("zh", "win_back", step.personas, ["email"])
    assert step.variants == expected

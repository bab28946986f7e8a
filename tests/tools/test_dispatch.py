import pytest

from agents.goal.parser import parse_goal
from agents.planning.offline import OfflinePlanner
from tests.doubles import make_ctx, populate
from tools.content import template_variants
from tools.dispatch import build_dispatch_step, unit_hash
from tools.profiles import reach_of


@pytest.fixture
def ctx(sqlite_engine):
    populate(sqlite_engine, 200)
    return make_ctx(sqlite_engine)


@pytest.fixture
def plan(ctx):
    return OfflinePlanner(ctx).plan(parse_goal("召回流失用户"), [], None)


def test_assignment_rules(ctx, plan):
    step = plan.steps[0]
    built, unreachable = build_dispatch_step(ctx, plan, step, campaign_id="c1")
    ids = ctx.segment_ids(step.segment)
    reach = reach_of(ctx, ids)
    assert len(built.assignments) + len(built.holdout) + unreachable == len(ids)
    for uid, channel, variant in built.assignments:
        r = reach[uid]
        first = next(c for c in step.channel_rule.preferred if c in r.reachable)
        own = r.channel in step.channel_rule.preferred and r.reaches(str(r.channel))
        assert channel == (r.channel if own else first)
        v = built.contents[variant]
        assert v.channel == channel
        assert v.persona == (r.persona if r.persona in step.personas else step.personas[0])
    for uid in built.holdout:
        assert unit_hash("c1", "s1", uid, "holdout") < step.holdout_share


def test_users_get_their_own_preferred_channel_when_allowed_and_reachable(ctx, plan):
    from sqlalchemy import text

    step = plan.steps[0]
    allowed = step.channel_rule.preferred
    reach = reach_of(ctx, ctx.segment_ids(step.segment))
    # Give every user with two or more allowed reachable channels the LAST of them as their
    # preferred channel, and every other user a channel the step does not allow.
    wanted: dict[int, str] = {}
    with ctx.engine.begin() as conn:
        for uid, r in reach.items():
            ok = [c for c in allowed if r.reaches(c)]
            pick = ok[-1] if len(ok) >= 2 else "voice_call"
            if len(ok) >= 2:
                wanted[uid] = pick
            conn.execute(
                text("UPDATE traits SET preferred_channel = :c WHERE user_id = :u"),
                {"c": pick, "u": uid},
            )
    assert wanted and "voice_call" not in allowed
    built, _ = build_dispatch_step(ctx, plan, step, campaign_id="c1")
    got = {uid: channel for uid, channel, _v in built.assignments}
    assert any(uid in wanted for uid in got)
    for uid, channel in got.items():
        first = next(c for c in allowed if reach[uid].reaches(c))
        assert channel == wanted.get(uid, first)  # not allowed: the step's order decides


def test_holdout_is_deterministic_and_salted(ctx, plan):
    step = plan.steps[0]
    a, _ = build_dispatch_step(ctx, plan, step, campaign_id="c1")
    b, _ = build_dispatch_step(ctx, plan, step, campaign_id="c1")
    c, _ = build_dispatch_step(ctx, plan, step, campaign_id="c2")
    assert a == b
    assert a.holdout != c.holdout


def test_ab_variants_split_by_hash(ctx, plan):
    step = plan.steps[0]
    extra = [
        v.model_copy(update={"variant_id": v.variant_id + "-b"})
        for v in template_variants("zh", "win_back", step.personas, step.channel_rule.preferred)
    ]
    ab = step.model_copy(
        update={"variants": step.variants + extra, "ab_split": {"a": 0.5, "b": 0.5}}
    )
    built, _ = build_dispatch_step(ctx, plan, ab, campaign_id="c1")
    arms = {v.endswith("-b") for _, _, v in built.assignments}
    assert arms == {True, False}


def test_bad_send_at_names_the_field(ctx, plan):
    from userops.errors import BadInput

    step = plan.steps[0].model_copy(update={"send_at": "tomorrow"})
    with pytest.raises(BadInput, match="send_at"):
        build_dispatch_step(ctx, plan, step, campaign_id="c1")


def test_placeholder_values_travel_with_the_step(ctx, plan):
    import re

    built, _ = build_dispatch_step(ctx, plan, plan.steps[0], campaign_id="c1")
    used = {
        m for v in built.contents.values() for m in re.findall(r"\{(\w+)\}", v.model_dump_json())
    }
    assert {"brand", "offer"} <= used
    assert built.metadata["brand"] and built.metadata["offer"]


def test_estimate_tool_for_the_model(ctx):
    import json

    from tools.registry import make_tools

    tools = {t.name: t for t in make_tools(ctx)}
    seg = {"all": [{"field": "lifecycle_stage", "op": "in", "value": ["churned"]}]}
    args = {"segment": seg, "channels": ["sms"], "objective": "win_back", "budget": 0.1}
    out = json.loads(tools["estimate_dispatch"].invoke(args))
    assert out["audience"] == len(ctx.segment_ids(parse_spec_(seg)))
    assert out["cost"] <= 0.1 and out["suppressed"].get("budget", 0) > 0
    bad = tools["estimate_dispatch"].invoke({**args, "channels": ["pigeon"]})
    assert bad.startswith("error:") and "pigeon" in bad


def test_an_unknown_channel_from_the_model_asks_it_to_retry(ctx):
    from tools.dispatch import EstimateArgs, estimate_dispatch
    from userops.errors import ModelRetry

    args = EstimateArgs(segment={"all": []}, channels=["pigeon"], objective="win_back")
    with pytest.raises(ModelRetry, match=r"channels=\['pigeon'\]: unknown channel; known: "):
        estimate_dispatch(ctx, args)


def parse_spec_(data):
    from userops.cdp.segments.service import parse_spec

    return parse_spec(data)


def test_fast_user_hash_equals_unit_hash():
    from tools.dispatch import _UserHash

    h = _UserHash("camp", "s1", "holdout")
    assert [h(u) for u in (1, 42, 10**7)] == [
        unit_hash("camp", "s1", u, "holdout") for u in (1, 42, 10**7)
    ]


def test_plan_and_preflight_on_both_backends(any_engine):
    from agents.evaluation.evaluator import PlanEvaluator
    from tools.context import ToolContext

    populate(any_engine, 150)
    ctx = ToolContext(engine=any_engine)
    goal = parse_goal("最近60天没下单的高价值用户，做一次召回，预算50元")
    plan = OfflinePlanner(ctx).plan(goal, [], None)
    built, _ = build_dispatch_step(ctx, plan, plan.steps[0], campaign_id="c-both")
    assert built.assignments
    verdict = PlanEvaluator(ctx).evaluate(goal, plan)
    assert verdict.verdict == "pass", [f for f in verdict.findings if f.severity != "info"]


def test_goal_window_reaches_the_engine_and_preflight_defers(sqlite_engine):
    from datetime import UTC, datetime

    from tools.dispatch import preflight_plan

    populate(sqlite_engine, 200)
    at_19_cst = int(datetime(2026, 5, 28, 11, tzinfo=UTC).timestamp())
    real = make_ctx(sqlite_engine, preflight_fn=None, now_ts=at_19_cst)
    plan = OfflinePlanner(real).plan(parse_goal("召回流失用户"), [], None)
    built, _ = build_dispatch_step(
        real, plan, plan.steps[0], campaign_id="c1", send_window=("10:00", "18:00")
    )
    assert (built.send_window.start, built.send_window.end) == ("10:00", "18:00")
    free = preflight_plan(real, plan).report
    assert free.would_send > 0  # 19:00 is outside quiet hours
    windowed = preflight_plan(real, plan, send_window=("10:00", "18:00")).report
    assert windowed.would_send == 0
    assert windowed.deferred == free.would_send + free.deferred

"""Every objective, in both languages, on a seeded population with the real segment engine and
the real dispatch pre-flight: the offline planner reaches a passing plan."""

import pytest

from agents.evaluation.evaluator import PlanEvaluator
from agents.goal.parser import parse_goal
from agents.planning.offline import OfflinePlanner
from tools.context import ToolContext
from userops.plan import Objective

GOALS = {
    "zh": [
        "召回流失用户",
        "给新用户做新手引导",
        "提醒老客户补货",
        "给成熟期用户做交叉销售",
        "高价值用户的VIP关怀",
        "购买后做一次满意度调研",
        "邀请成长期用户参加线下活动",
        "给满意度低的用户做服务补救",
    ],
    "en": [
        "Win back lapsed customers",
        "Onboard new users",
        "Remind customers to reorder",
        "Upsell to mature customers",
        "VIP care for high-value customers",
        "Survey customers after their purchase",
        "Invite customers to our launch event",
        "Service recovery for dissatisfied customers",
    ],
}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    from userops.cdp.sample.population import seed_population
    from userops.cdp.traits.build import build_profiles
    from userops.store.engine import make_engine, upgrade

    path = tmp_path_factory.mktemp("seeded") / "s.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    seed_population(engine, users=500, seed=3, language="zh")
    build_profiles(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_objective_reaches_a_passing_plan(seeded, language):
    ctx = ToolContext(engine=seeded)
    objectives = set()
    for text in GOALS[language]:
        goal = parse_goal(text)
        planner, evaluator = OfflinePlanner(ctx), PlanEvaluator(ctx)
        plan = planner.plan(goal, [], None)
        for _ in range(3):
            verdict = evaluator.evaluate(goal, plan)
            if verdict.verdict != "revise":
                break
            plan = planner.plan(goal, verdict.findings, plan)
        assert verdict.verdict == "pass", (
            text,
            [f for f in verdict.findings if f.severity != "info"],
        )
        assert verdict.preflight.would_send + verdict.preflight.deferred > 0
        # the copy is in the recipients' language (the population is Chinese), not the goal's
        assert all(v.language == "zh" for v in plan.steps[0].variants)
        assert plan.language == language
        objectives.add(goal.objective)
    assert objectives == set(Objective)

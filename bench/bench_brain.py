"""Brain benchmark: offline plan + evaluation (real segments and pre-flight) on a seeded store.

Population size from ``BENCH_BRAIN_USERS`` (default 20,000). Reports goal parsing per goal,
plan and evaluate latency for the README's win-back goal, and the audience sizes.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

GOAL = "最近60天没下单的高价值用户有流失风险，做一次召回，预算5000元，晚上不要打扰。"


def run(workdir: Path) -> dict[str, Any]:
    """Seed, build profiles, then time parse → plan → evaluate."""
    from agents.evaluation.evaluator import PlanEvaluator
    from agents.goal.parser import parse_goal
    from agents.planning.offline import OfflinePlanner
    from tools.context import ToolContext
    from userops.cdp.sample.population import seed_population
    from userops.cdp.traits.build import build_profiles
    from userops.store.engine import make_engine, upgrade

    users = int(os.environ.get("BENCH_BRAIN_USERS", "20000"))
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{workdir / 'brain.db'}")
    upgrade(engine)
    seed_population(engine, users=users, seed=11, language="zh")
    build_profiles(engine)
    ctx = ToolContext(engine=engine)
    t0 = time.perf_counter()
    for _ in range(100):
        goal = parse_goal(GOAL)
    parse_ms = (time.perf_counter() - t0) * 10
    t0 = time.perf_counter()
    plan = OfflinePlanner(ctx).plan(goal, [], None)
    plan_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    verdict = PlanEvaluator(ctx).evaluate(goal, plan)
    eval_s = time.perf_counter() - t0
    churned = parse_goal("召回流失用户")
    t0 = time.perf_counter()
    big = OfflinePlanner(ctx).plan(churned, [], None)
    big_verdict = PlanEvaluator(ctx).evaluate(churned, big)
    big_s = time.perf_counter() - t0
    engine.dispose()
    assert verdict.preflight is not None and big_verdict.preflight is not None
    return {
        "users": users,
        "parse_goal_ms": round(parse_ms, 3),
        "plan_s": round(plan_s, 3),
        "evaluate_s": round(eval_s, 3),
        "verdict": verdict.verdict,
        "recipients": verdict.preflight.total,
        "churned_plan_and_eval_s": round(big_s, 3),
        "churned_recipients": big_verdict.preflight.total,
    }

"""Run one scenario through the whole loop on its own copy of the store, then grade it."""

from __future__ import annotations

import os
import shutil
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evals.graders import Check
from evals.schema import Decision, Scenario

OPERATOR = "eval-operator"
APPROVER = "eval-approver"
EDITOR = "eval-editor"
"""Makes the approver script's edits: whoever last edited a plan may not approve it."""
MAX_TURNS = 16


def _decision(d: Decision, plan: dict[str, Any]) -> dict[str, Any]:
    if d.decision == "approve":
        return {"type": "approve", "message": d.reason}
    if d.decision == "reject":
        return {"type": "reject", "message": d.reason}
    edited = {**plan, **d.plan}
    edited["steps"] = [{**s, **d.step} for s in plan.get("steps", [])]
    return {"type": "edit", "edited_action": {"args": {"plan": edited}}, "message": d.reason}


def drive(rt: Any, scenario: Scenario, thread: str) -> list[str]:
    """Play the operator and approver scripts against the runtime; return turn statuses."""
    answers = list(scenario.actors.operator)
    followups = list(scenario.actors.followups)
    script = list(scenario.actors.approver)
    res = rt.start(scenario.goal, thread_id=thread, actor=OPERATOR)
    statuses = [res.status]
    for _ in range(MAX_TURNS):
        if res.status == "needs_clarification" and answers:
            res = rt.start(answers.pop(0), thread_id=thread, actor=OPERATOR)
        elif res.status == "awaiting_approval":
            d = script.pop(0) if script else Decision(decision=scenario.actors.then)
            if d.decision == "none":
                break
            plan = dict(res.values.get("plan") or {})
            actor = EDITOR if d.decision == "edit" else APPROVER
            res = rt.resume(thread, _decision(d, plan), actor=actor)
        elif followups and res.status not in ("needs_clarification",):
            res = rt.start(followups.pop(0), thread_id=thread, actor=OPERATOR)
        else:
            break
        statuses.append(res.status)
    return statuses


def _trajectory(rt: Any, thread: str) -> list[str]:
    """Node order from the thread's checkpoint history (oldest first)."""
    history = list(rt.graph.get_state_history({"configurable": {"thread_id": thread}}))
    nodes: list[str] = []
    for snap in reversed(history):
        if snap.next and snap.metadata and snap.metadata.get("source") != "input":
            nodes.append(str(snap.next[0]))
    return nodes


def _said(values: dict[str, Any]) -> list[str]:
    from langchain_core.messages import HumanMessage

    return [str(m.content) for m in values.get("messages", []) if not isinstance(m, HumanMessage)]


ENV_KEYS = ("USEROPS_HOME", "USEROPS_DATABASE_URL", "USEROPS_CHECKPOINT_URL", "USEROPS_LLM_MODEL")


@contextmanager
def scenario_settings(workdir: Path, planner: str) -> Iterator[Any]:
    """Settings of one scenario (its own home and store); the environment is restored after."""
    from userops.settings import get_settings

    saved = {k: os.environ.get(k) for k in ENV_KEYS}
    os.environ["USEROPS_HOME"] = str(workdir)
    os.environ["USEROPS_DATABASE_URL"] = f"sqlite:///{workdir / 'store.db'}"
    os.environ.pop("USEROPS_CHECKPOINT_URL", None)
    if planner == "offline":
        os.environ.pop("USEROPS_LLM_MODEL", None)
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()


def _run_and_grade(
    settings: Any, engine: Any, scenario: Scenario, out: dict[str, Any]
) -> list[Check]:
    from agents.runtime.threads import open_runtime
    from evals.graders.facts import read_facts
    from evals.graders.grade import grade
    from evals.graders.judge import judge_plan
    from userops.dispatch.policy import Policy

    thread = f"eval-{scenario.id}"
    t0 = time.perf_counter()
    with open_runtime(settings=settings, engine=engine) as rt:
        statuses = drive(rt, scenario, thread)
        values = rt.get(thread).values
        trajectory = _trajectory(rt, thread)
        out["llm_calls"] = int(rt.llm_calls())
        policy = rt.deps.policy or Policy.load(settings.policy_file)
    out["latency_s"] = round(time.perf_counter() - t0, 3)
    facts = read_facts(engine, thread)
    facts.trajectory, facts.statuses, facts.messages = trajectory, statuses, _said(values)
    checks = grade(engine, facts, scenario, policy)  # the run's own policy
    judged = judge_plan(settings, values.get("goal") or {}, values.get("plan"))
    if judged is not None:
        checks.append(judged)
    out.update(
        statuses=statuses,
        sent=len(facts.sent),
        cost=round(sum(float(r["cost"] or 0) for r in facts.sent), 4),
        campaigns=len(facts.campaigns),
    )
    return checks


def run_scenario(
    path: str, scenario_json: dict[str, Any], base_db: str, workdir: str, planner: str
) -> dict[str, Any]:
    """Run and grade one scenario on a copy of ``base_db``; a crash is a failed ``run`` check."""
    from userops.store.engine import open_store

    scenario = Scenario.model_validate(scenario_json)
    wd = Path(workdir)
    shutil.rmtree(wd, ignore_errors=True)
    wd.mkdir(parents=True)
    shutil.copyfile(base_db, wd / "store.db")
    out: dict[str, Any] = {"id": scenario.id, "file": path, "llm_calls": 0, "tokens": 0}
    t0 = time.perf_counter()
    with scenario_settings(wd, planner) as settings:
        engine = open_store(settings.resolved_database_url())
        try:
            if scenario.journey is not None:
                from evals.journey_eval import run_journey_scenario

                checks = run_journey_scenario(settings, engine, scenario, out)
            else:
                checks = _run_and_grade(settings, engine, scenario, out)
        except Exception as exc:  # a crash is a failed scenario, reported
            out["latency_s"] = round(time.perf_counter() - t0, 3)
            tb = traceback.format_exc(limit=6)
            checks = [Check("run", False, f"{type(exc).__name__}: {exc}", detail={"tb": tb})]
        finally:
            engine.dispose()
    out["checks"] = [c.to_dict() for c in checks]
    out["passed"] = all(c.passed for c in checks)
    out["failed"] = [f"{c.name}: {c.why}" for c in checks if not c.passed]
    return out

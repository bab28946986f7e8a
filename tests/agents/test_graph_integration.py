"""The loop with the real brain and dispatch engine (offline planner, evaluator, sandbox)."""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from sqlalchemy import Engine, text

from agents.nodes.report import build_report
from agents.nodes.wiring import default_deps
from tests.agents.loop_doubles import LoopGraph
from tests.doubles import populate
from userops.dispatch.policy import Policy
from userops.settings import Settings
from userops.store.meta import mark_simulated

GOAL = "最近60天没下单的高价值用户有流失风险，做一次召回，预算5000元，晚上不要打扰。"


def test_real_stack_gate_then_sandbox(
    sqlite_engine: Engine, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(sqlite_engine, 300)
    mark_simulated(sqlite_engine, "test")
    loads: list[object] = []
    real_load = Policy.load.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        Policy,
        "load",
        classmethod(lambda cls, path=None: loads.append(path) or real_load(cls, path)),
    )
    deps = default_deps(sqlite_engine, settings=Settings(home=home), blast_share=0.3)
    g = LoopGraph(deps, InMemorySaver())
    cfg = {"configurable": {"thread_id": "it", "actor": "olivia"}}
    out = g.invoke({"messages": [{"role": "user", "content": GOAL}]}, cfg)
    card = out["__interrupt__"][0].value["action_requests"][0]["args"]
    assert card["plan"]["language"] == "zh" and card["preflight"]["total"] > 0
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar_one() == 0
    out = g.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"}), cfg)
    assert out["status"] == "completed", out["messages"][-3:]
    report = build_report(sqlite_engine, "it", out, status=out["status"], llm_calls=0)
    assert report["sent"] > 0 and report["policy_violations"] == 0
    assert report["kpi"]["metric"] and report["baseline_blast"] is not None
    with sqlite_engine.connect() as conn:
        steps = set(conn.execute(text("SELECT DISTINCT step_id FROM outbox")).scalars())
    assert {"s1", "s1b"} <= steps <= {"s1", "s1b", "s1-fb", "s1b-fb"}
    # one policy for the run: pre-flights, evaluator, enqueue and the sandbox share it
    assert len(loads) == 1

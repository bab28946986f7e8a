"""Dependencies are each run's LangGraph context; the input schema is apart from the state."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.runtime import Runtime
from langgraph.types import Command
from sqlalchemy import Engine

import agents.nodes.wiring as wiring
from agents.graph import make_graph
from agents.nodes.deps import LoopDeps
from agents.nodes.wiring import deps_of
from tests.agents.loop_doubles import deliver, make_deps, seed_users

ROOT = Path(__file__).resolve().parents[2]
GOAL = {"messages": [{"role": "user", "content": "win back lapsed buyers"}]}
CFG: Any = {"configurable": {"thread_id": "t1", "actor": "olivia"}}
APPROVE = Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"})


def test_a_resume_runs_with_the_context_it_is_given(sqlite_engine: Engine) -> None:
    seed_users(sqlite_engine)
    g = make_graph(checkpointer=InMemorySaver())
    first = make_deps(sqlite_engine)
    delivered: list[str] = []

    def recording(engine: Engine, steps: list[Any]) -> dict[str, Any]:
        delivered.extend(s.step_id for s in steps)
        return deliver(engine, steps)

    second = dataclasses.replace(make_deps(sqlite_engine), deliver=recording)
    assert "__interrupt__" in g.invoke(GOAL, CFG, context=first)
    out = g.invoke(APPROVE, CFG, context=second)
    assert out["status"] == "completed" and delivered == ["s1"]


def test_a_run_without_context_gets_the_defaults_built_once(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[LoopDeps] = []

    def fake_defaults() -> LoopDeps:
        built.append(make_deps(sqlite_engine))
        return built[-1]

    monkeypatch.setattr(wiring, "default_deps", fake_defaults)
    monkeypatch.setattr(wiring, "_served", [])
    given = make_deps(sqlite_engine)
    assert deps_of(Runtime(context=given)) is given and built == []
    first = deps_of(Runtime(context=None))
    assert deps_of(Runtime(context=None)) is first and built == [first]


def test_langgraph_json_loads_the_graph_with_its_schemas() -> None:
    spec = json.loads((ROOT / "langgraph.json").read_text())["graphs"]["userops"]
    path, name = spec.split(":")
    assert path == "./agents/graph.py" and name == "graph"
    from agents import graph as module

    g = getattr(module, name)
    assert g.builder.context_schema is LoopDeps
    assert set(g.get_input_jsonschema()["properties"]) == {"messages", "owner"}


def test_the_input_sets_only_the_message_and_the_owner(sqlite_engine: Engine) -> None:
    seed_users(sqlite_engine)
    g = make_graph(checkpointer=InMemorySaver())
    words = {"role": "user", "content": "do something ???"}  # asks: stops before any plan
    payload = {"messages": [words], "owner": "olivia", "audience_size": 999, "status": "x"}
    out = g.invoke(payload, CFG, context=make_deps(sqlite_engine))
    assert out["status"] == "needs_clarification" and out["owner"] == "olivia"
    assert "audience_size" not in out  # not an input: the nodes own every other key

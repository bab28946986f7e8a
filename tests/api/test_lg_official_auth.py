"""Under the official LangGraph server: userops' tokens through ``langgraph.json``'s custom
auth, the decider taken from the authenticated user and never from the resume payload,
Agent Inbox's resume understood by the gate itself, and no context to coerce."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from langgraph_sdk import Auth
from sqlalchemy import Engine, text

from agents.nodes.decider import decider
from tests.agents.loop_doubles import LoopGraph, make_deps, seed_users
from userops.accounts import add_user
from userops.api import lg_auth

ROOT = Path(__file__).resolve().parents[2]
GOAL = {"messages": [{"role": "user", "content": "win back lapsed buyers"}]}


def test_langgraph_json_names_the_auth_and_the_graph_takes_no_context() -> None:
    spec = json.loads((ROOT / "langgraph.json").read_text())
    assert spec["auth"]["path"] == "./userops/api/lg_auth.py:auth"
    from agents.graph import graph

    assert graph.context_schema is None  # the server's {} is not coerced into LoopDeps


def test_tokens_and_thread_owners(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lg_auth, "store", lambda: sqlite_engine)
    olivia = add_user(sqlite_engine, "olivia", "operator")[1]
    ana = add_user(sqlite_engine, "ana", "approver")[1]
    user = asyncio.run(lg_auth.authenticate(f"Bearer {olivia}", {}))
    assert (user["identity"], list(user["permissions"])) == ("olivia", ["operator"])
    by_key = asyncio.run(lg_auth.authenticate(None, {b"x-api-key": ana.encode()}))
    assert by_key["identity"] == "ana"
    for bad in ("Bearer nope", None):
        with pytest.raises(Auth.exceptions.HTTPException) as err:
            asyncio.run(lg_auth.authenticate(bad, {}))
        assert err.value.status_code == 401

    def ctx(name: str, role: str, action: str) -> Any:
        who = SimpleNamespace(identity=name)
        return SimpleNamespace(user=who, permissions=[role], action=action, resource="threads")

    value: Any = {"metadata": {"team": "growth"}}
    threads: Any = lg_auth.own_threads
    made = asyncio.run(threads(ctx("olivia", "operator", "create"), value))
    assert made == {"owner": "olivia"} and value["metadata"] == {
        "team": "growth",
        "owner": "olivia",
    }
    assert asyncio.run(threads(ctx("olivia", "operator", "search"), {})) == {"owner": "olivia"}
    assert asyncio.run(threads(ctx("ana", "approver", "search"), {})) is None


def test_decider_is_the_servers_user_never_the_payload() -> None:
    claim = {"decisions": [{"type": "approve"}], "actor": "mallory"}
    assert decider(claim, {"langgraph_auth_user_id": "ana", "actor": "x"}) == "ana"
    assert decider(claim, {"langgraph_auth_user_id": ""}) == ""  # no custom auth: nobody
    assert decider(claim, {"actor": "ana"}) == "mallory"  # userops' runtime: it authenticated
    assert decider({}, {"actor": "ana"}) == "ana"
    assert decider({}, {}) == ""


def _approval(engine: Engine) -> tuple[str, str | None]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT status, decided_by FROM approvals")).one()
    return str(row[0]), row[1]


def test_gate_under_the_server(sqlite_engine: Engine) -> None:
    seed_users(sqlite_engine)
    add_user(sqlite_engine, "ana", "approver")
    g = LoopGraph(make_deps(sqlite_engine), InMemorySaver())
    served = {"configurable": {"thread_id": "t1", "langgraph_auth_user_id": ""}}
    started = {"configurable": {"thread_id": "t1", "langgraph_auth_user_id": "olivia"}}
    g.invoke(GOAL, {"configurable": {**started["configurable"], "actor": "mallory"}})
    claim = {"decisions": [{"type": "approve"}], "actor": "ana"}  # a name, no identity
    out = g.invoke(Command(resume=claim), served)
    assert out["__interrupt__"] and _approval(sqlite_engine) == ("pending", None)
    bad = g.invoke(Command(resume=[{"type": "accept"}, {"type": "accept"}]), served)
    assert bad["__interrupt__"]  # malformed: refused, still waiting, thread not broken
    with sqlite_engine.connect() as conn:  # the server's user asked, not a config name
        asked = conn.execute(text("SELECT requested_by FROM approvals")).scalar_one()
    assert asked == "olivia"
    as_ana = {"configurable": {"thread_id": "t1", "langgraph_auth_user_id": "ana"}}
    done = g.invoke(Command(resume=[{"type": "accept", "args": None}]), as_ana)  # Agent Inbox
    assert done["status"] == "completed" and _approval(sqlite_engine) == ("approved", "ana")

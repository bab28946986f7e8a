"""The decision path never wedges a thread: a failure leaves it decidable or recoverable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from agents.graph import make_graph
from agents.nodes import gate
from agents.runtime.checkpoint import open_checkpointer
from agents.runtime.recovery import recover
from agents.runtime.threads import LoopRuntime
from tests.agents.loop_doubles import make_deps, outbox_count, seed_users
from userops.approvals import records as approvals
from userops.errors import Conflict, NotRecorded, PolicyRefused


class Killed(BaseException):
    """What a SIGKILL looks like from inside the run: nothing after it executes."""


@pytest.fixture
def rt(sqlite_engine: Engine, tmp_path: Path) -> Iterator[LoopRuntime]:
    seed_users(sqlite_engine, 30)
    url = f"sqlite:///{tmp_path / 'cp.db'}"
    with open_checkpointer(url) as saver:
        graph = make_graph(checkpointer=saver)
        yield LoopRuntime(graph, deps=make_deps(sqlite_engine), engine=sqlite_engine, lock_url=url)


def _fail_once(monkeypatch: pytest.MonkeyPatch, target: Any, name: str, exc: BaseException) -> None:
    real = getattr(target, name)
    calls = {"n": 0}

    def once(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise exc
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, once)


def _next(rt: LoopRuntime, thread_id: str) -> list[str]:
    return list(rt.graph.get_state({"configurable": {"thread_id": thread_id}}).next)


def test_a_decision_the_store_fails_to_record_leaves_the_thread_decidable(
    rt: LoopRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the exception escaped apply_decision after the interrupt was consumed."""
    res = rt.start("win back", thread_id="t1", actor="olivia")
    down = OperationalError("UPDATE approvals", {}, Exception("database is locked"))
    _fail_once(monkeypatch, approvals, "decide", down)
    with pytest.raises(NotRecorded, match="not recorded"):
        rt.resume("t1", {"type": "approve"}, actor="ana")
    again = rt.get("t1")
    assert again.status == "awaiting_approval" and again.approval_id == res.approval_id
    assert approvals.get(rt.engine, str(res.approval_id)).status == "pending"
    assert outbox_count(rt.engine) == 0
    done = rt.resume("t1", {"type": "approve"}, actor="ana")
    assert done.status == "completed" and outbox_count(rt.engine) > 0


def test_a_run_killed_in_the_decision_path_is_finished_by_the_sweep(
    rt: LoopRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the sweep took only approved approvals; this one is still pending."""
    res = rt.start("win back", thread_id="t2", actor="olivia")
    _fail_once(monkeypatch, approvals, "decide", Killed())
    with pytest.raises(Killed):
        rt.resume("t2", {"type": "approve"}, actor="ana")
    assert _next(rt, "t2") == ["apply_decision"]
    with pytest.raises(Conflict, match="threads recover"):
        rt.resume("t2", {"type": "reject", "message": "no"}, actor="bob")
    done = recover(rt)
    assert [(r.thread_id, r.outcome, r.pending, r.status) for r in done] == [
        ("t2", "resumed", ["apply_decision"], "completed")
    ]
    rec = approvals.get(rt.engine, str(res.approval_id))
    assert (rec.status, rec.decided_by) == ("approved", "ana")  # the decision the gate took
    assert recover(rt) == []


def test_a_failure_after_an_edit_is_recorded_is_finished_by_the_sweep(
    rt: LoopRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = rt.start("win back", thread_id="t3", actor="olivia")
    plan = dict(res.interrupt["action_requests"][0]["args"]["plan"])  # type: ignore[index]
    plan["name"] = "edited"
    edit = {"type": "edit", "edited_action": {"name": "x", "args": {"plan": plan}}}
    _fail_once(monkeypatch, gate, "set_campaign", RuntimeError("store gone"))
    with pytest.raises(RuntimeError):
        rt.resume("t3", edit, actor="ana")
    assert approvals.get(rt.engine, str(res.approval_id)).status == "edited"
    assert _next(rt, "t3") == ["apply_decision"]
    [done] = recover(rt)
    assert (done.outcome, done.status) == ("resumed", "awaiting_approval")
    after = rt.get("t3")
    assert after.values["plan"]["name"] == "edited" and after.values["edited_by"] == "ana"


def test_the_editor_never_approves_and_an_edit_is_never_auto_approved(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    seed_users(sqlite_engine, 30)
    deps = make_deps(sqlite_engine)
    url = f"sqlite:///{tmp_path / 'cp.db'}"
    with open_checkpointer(url) as saver:
        rt = LoopRuntime(
            make_graph(checkpointer=saver), deps=deps, engine=sqlite_engine, lock_url=url
        )
        res = rt.start("win back", thread_id="t4", actor="olivia")
        plan = dict(res.interrupt["action_requests"][0]["args"]["plan"])  # type: ignore[index]
        deps.auto_approve_tiers = frozenset({"low", "medium", "high"})  # policy: approve all
        edit = {"type": "edit", "edited_action": {"name": "x", "args": {"plan": plan}}}
        edited = rt.resume("t4", edit, actor="ana")
        assert edited.status == "awaiting_approval" and outbox_count(sqlite_engine) == 0
        assert approvals.get(sqlite_engine, str(edited.approval_id)).edited_by == "ana"
        rt.allow_self_approval = True  # whatever the self-approval policy says
        with pytest.raises(PolicyRefused) as exc:
            rt.resume("t4", {"type": "approve"}, actor="ana")
        assert exc.value.reason == "own_edit"
        assert rt.resume("t4", {"type": "approve"}, actor="bob").status == "completed"

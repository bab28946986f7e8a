"""Approval flows through the runtime: pre-checks, per-thread lock, restarts, property test."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from agents.graph import make_graph
from agents.runtime.checkpoint import open_checkpointer
from agents.runtime.locks import thread_lock
from agents.runtime.threads import LoopRuntime
from tests.agents.loop_doubles import make_deps, outbox_count, seed_users
from userops.errors import Conflict, PolicyRefused


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    seed_users(sqlite_engine, 30)
    return sqlite_engine


def runtime(engine: Engine, url: str) -> tuple[LoopRuntime, object]:
    cm = open_checkpointer(url)
    saver = cm.__enter__()
    rt = LoopRuntime(
        make_graph(checkpointer=saver), deps=make_deps(engine), engine=engine, lock_url=url
    )
    return rt, cm


def test_runtime_flow_and_prechecks(engine: Engine, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cp.db'}"
    rt, cm = runtime(engine, url)
    try:
        res = rt.start("win back", thread_id="t1", actor="olivia")
        assert res.status == "awaiting_approval" and res.approval_id
        with pytest.raises(PolicyRefused):
            rt.resume("t1", {"type": "approve"}, actor="olivia")
        with pytest.raises(Conflict):
            rt.start("another goal", thread_id="t1", actor="olivia")
        with thread_lock("t1", url):
            with pytest.raises(Conflict, match="already running"):
                rt.resume("t1", {"type": "approve"}, actor="ana")
        assert outbox_count(engine) == 0
        done = rt.decide(res.approval_id, {"type": "approve"}, actor="ana")
        assert done.status == "completed"
        with pytest.raises(Conflict):
            rt.resume("t1", {"type": "approve"}, actor="bob")
    finally:
        cm.__exit__(None, None, None)  # type: ignore[attr-defined]


@pytest.mark.pg
def test_pg_advisory_lock_conflicts(pg_url: str) -> None:
    with thread_lock("tx", pg_url):
        with pytest.raises(Conflict):
            with thread_lock("tx", pg_url):
                pass
        with thread_lock("other", pg_url):
            pass
    with thread_lock("tx", pg_url):
        pass


DECISION = st.sampled_from(
    ["approve", "approve_self", "approve_bob", "reject", "respond", "edit", "restart"]
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(moves=st.lists(DECISION, min_size=1, max_size=6))
def test_no_send_before_recorded_approval(moves: list[str], tmp_path_factory) -> None:
    from userops.store.engine import make_engine, upgrade

    d = tmp_path_factory.mktemp("prop")
    engine = make_engine(f"sqlite:///{d / 'store.db'}")
    upgrade(engine)
    seed_users(engine, 20)
    url = f"sqlite:///{d / 'cp.db'}"
    rt, cm = runtime(engine, url)
    try:
        res = rt.start("win back", thread_id="p", actor="olivia")
        editor = None
        for move in moves:
            if res.status != "awaiting_approval":
                break
            if move == "restart":
                cm.__exit__(None, None, None)  # type: ignore[attr-defined]
                rt, cm = runtime(engine, url)
                res = rt.get("p")
                continue
            with engine.connect() as conn:
                approved = conn.execute(
                    text("SELECT count(*) FROM approvals WHERE status = 'approved'")
                ).scalar_one()
            assert outbox_count(engine) == 0 or approved > 0
            decision: dict = {"type": move}
            actor = "ana"
            if move == "approve_self":
                decision, actor = {"type": "approve"}, "olivia"
            elif move == "approve_bob":
                decision, actor = {"type": "approve"}, "bob"
            elif move in ("reject", "respond"):
                decision["message"] = "x"
            elif move == "edit":
                plan = dict(res.interrupt["action_requests"][0]["args"]["plan"])
                decision["edited_action"] = {"name": "x", "args": {"plan": plan}}
            try:
                res = rt.resume("p", decision, actor=actor)
            except PolicyRefused as exc:  # the requester, or the last editor, approving
                assert (exc.reason, actor) in {("self_approval", "olivia"), ("own_edit", editor)}
            else:
                editor = actor if move == "edit" else editor
            with engine.connect() as conn:
                first_sent = conn.execute(text("SELECT min(id) FROM outbox")).scalar()
                approved_at = conn.execute(
                    text("SELECT min(decided_at) FROM approvals WHERE status = 'approved'")
                ).scalar()
            if first_sent is not None:
                assert approved_at is not None
        sent = outbox_count(engine)
        with engine.connect() as conn:
            n_approved = conn.execute(
                text("SELECT count(*) FROM approvals WHERE status = 'approved'")
            ).scalar_one()
        assert (sent > 0) == (n_approved > 0)
    finally:
        cm.__exit__(None, None, None)  # type: ignore[attr-defined]
        engine.dispose()


@pytest.mark.pg
def test_runtime_on_postgres_store_checkpoints_and_lock(pg_engine: Engine, pg_url: str) -> None:
    seed_users(pg_engine, 20)
    with open_checkpointer(pg_url) as saver:
        rt = LoopRuntime(
            make_graph(checkpointer=saver),
            deps=make_deps(pg_engine),
            engine=pg_engine,
            lock_url=pg_url,
        )
        res = rt.start("win back", thread_id="pg1", actor="olivia")
        assert res.status == "awaiting_approval" and outbox_count(pg_engine) == 0
        with thread_lock("pg1", pg_url):
            with pytest.raises(Conflict):
                rt.resume("pg1", {"type": "approve"}, actor="ana")
    with open_checkpointer(pg_url) as saver:  # restart
        rt = LoopRuntime(
            make_graph(checkpointer=saver),
            deps=make_deps(pg_engine),
            engine=pg_engine,
            lock_url=pg_url,
        )
        done = rt.decide(str(res.approval_id), {"type": "approve"}, actor="ana")
    assert done.status == "completed" and outbox_count(pg_engine) > 0

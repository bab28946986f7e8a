"""LangGraph checkpoints on PostgreSQL: retention keeps pending approvals; setup under races."""

from __future__ import annotations

import threading

import pytest
from langgraph.types import Command
from sqlalchemy import Engine, text

from tests.agents.loop_doubles import LoopGraph, make_deps, seed_users

GOAL = {"messages": [{"role": "user", "content": "win back lapsed buyers"}]}
pytestmark = pytest.mark.pg


def cfg(tid: str) -> dict:
    return {"configurable": {"thread_id": tid, "actor": "olivia"}}


def test_prune_on_postgres_never_drops_a_pending_approval(pg_engine: Engine, pg_url: str) -> None:
    from agents.runtime.checkpoint import open_checkpointer, prune_threads

    seed_users(pg_engine)
    with open_checkpointer(pg_url) as saver:
        g = LoopGraph(make_deps(pg_engine), saver)
        g.invoke(GOAL, cfg("done"))
        g.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"}), cfg("done"))
        g.invoke(GOAL, cfg("waiting"))
        with pg_engine.begin() as conn:  # only the pending approval may protect "waiting" now
            conn.execute(
                text(
                    "UPDATE campaigns SET status = 'completed',"
                    " updated_at = now() - interval '90 days' WHERE thread_id = 'waiting'"
                )
            )
            pending = conn.execute(
                text(
                    "SELECT count(*) FROM approvals WHERE thread_id = 'waiting'"
                    " AND status = 'pending'"
                )
            ).scalar_one()
        assert pending == 1
        assert prune_threads(pg_engine, saver, older_than_days=1) == []  # "done" too recent
        assert prune_threads(pg_engine, saver, older_than_days=-1) == ["done"]
        assert not g.get_state(cfg("done")).values
        assert g.get_state(cfg("waiting")).interrupts  # still resumable
        out = g.invoke(
            Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"}), cfg("waiting")
        )
    assert out["status"] == "completed"


def test_workers_setting_up_checkpoints_at_once_on_a_fresh_database(pg_url: str) -> None:
    """``userops serve --workers N`` on a new database: every worker's setup succeeds."""
    from agents.runtime.checkpoint import open_checkpointer

    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def one() -> None:
        start.wait()
        try:
            with open_checkpointer(pg_url) as saver:
                assert saver.get_tuple(cfg("none")) is None
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

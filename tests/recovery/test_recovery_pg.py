"""The recovery sweep on PostgreSQL: store, checkpoints and advisory locks all there."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

import userops.dispatch.engine as dispatch_engine
from agents.graph import make_graph
from agents.runtime.checkpoint import open_checkpointer
from agents.runtime.locks import thread_lock
from agents.runtime.recovery import recover
from agents.runtime.threads import LoopRuntime
from tests.agents.loop_doubles import build_step, seed_users
from tests.recovery.driver import CHUNK, real_deps
from userops.plan import CampaignPlan

pytestmark = pytest.mark.pg


class Crash(BaseException):
    """Stands for the process dying: nothing in the loop catches it."""


def test_sweep_finishes_a_cut_off_dispatch_on_pg(
    pg_engine: Engine, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_users(pg_engine, 40)
    with pg_engine.begin() as conn:  # grant_sms's phone UPDATE is SQLite syntax
        conn.execute(text("UPDATE users SET phone = '13800' || lpad(id::text, 6, '0')"))
    grant_sms_pg(pg_engine)
    original = dispatch_engine._write_rows
    calls = [0]

    def crash_after_first(conn: Any, prep: Any, rows: Any) -> None:
        calls[0] += 1
        if calls[0] > 1:
            raise Crash
        original(conn, prep, rows)

    with open_checkpointer(pg_url) as saver:
        rt = LoopRuntime(
            make_graph(checkpointer=saver),
            deps=real_deps(pg_engine),
            engine=pg_engine,
            lock_url=pg_url,
        )
        res = rt.start("win back", thread_id="t-pg", actor="olivia")
        plan = CampaignPlan.model_validate(res.values["plan"])
        step = build_step(pg_engine, plan, plan.steps[0], str(res.values["campaign_id"]))
        expected = sorted(u for u, _c, _v in step.assignments)
        monkeypatch.setattr(dispatch_engine, "_write_rows", crash_after_first)
        with pytest.raises(Crash):
            rt.decide(str(res.approval_id), {"type": "approve"}, actor="ana")
        monkeypatch.setattr(dispatch_engine, "_write_rows", original)
        assert users(pg_engine) == expected[:CHUNK]

        with thread_lock("t-pg", pg_url):
            assert [r.outcome for r in recover(rt)] == ["skipped"]
        done = recover(rt)
        assert [(r.outcome, r.pending, r.status) for r in done] == [
            ("resumed", ["dispatch"], "completed")
        ]
        assert users(pg_engine) == expected
        assert recover(rt) == []


def grant_sms_pg(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO consents (user_id, channel, status, ts)"
                " SELECT id, 'sms', 'granted', 0 FROM users"
            )
        )


def users(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [int(r[0]) for r in conn.execute(text("SELECT user_id FROM outbox ORDER BY 1"))]

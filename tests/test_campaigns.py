"""Campaign rows: one creation path for the loop and the dispatch engine."""

from __future__ import annotations

from sqlalchemy import Engine, select

from userops.campaigns import (
    add_lesson,
    count_created_by,
    ensure_campaign,
    has_lesson,
    known_threads,
    open_campaign,
    set_campaign,
)
from userops.store.models import AuditLog, Campaign

GOAL = {"text": "win back lapsed buyers", "objective": "win_back", "language": "en"}


def _row(engine: Engine, cid: str) -> Campaign:
    with engine.connect() as conn:
        return conn.execute(select(Campaign).where(Campaign.id == cid)).one()  # type: ignore[return-value]


def _audits(engine: Engine, cid: str) -> list[str]:
    with engine.connect() as conn:
        q = select(AuditLog.action).where(AuditLog.entity_id == cid).order_by(AuditLog.id)
        return [str(a) for a in conn.execute(q).scalars()]


def test_the_loop_opens_a_draft_once_and_audits_it(sqlite_engine: Engine) -> None:
    goal = {**GOAL, "constraints": {"budget": 300.0}}
    open_campaign(sqlite_engine, "c1", thread_id="t1", goal=goal, requested_by="olivia")
    open_campaign(sqlite_engine, "c1", thread_id="t1", goal=goal, requested_by="olivia")
    row = _row(sqlite_engine, "c1")
    assert (row.status, row.name, row.objective, row.language) == (
        "draft",
        "win back lapsed buyers",
        "win_back",
        "en",
    )
    assert (row.budget, row.thread_id, row.created_by) == (300.0, "t1", "olivia")
    assert _audits(sqlite_engine, "c1") == ["campaign.create"]  # the second call wrote nothing
    assert count_created_by(sqlite_engine, "olivia") == 1
    assert count_created_by(sqlite_engine, "nobody") == 0
    assert known_threads(sqlite_engine) == ["t1"]


def test_the_engine_creates_a_bare_row_and_fills_only_a_missing_budget(
    sqlite_engine: Engine,
) -> None:
    with sqlite_engine.begin() as conn:
        assert ensure_campaign(conn, "c2") is True
        assert ensure_campaign(conn, "c2", budget=50.0) is False
        assert ensure_campaign(conn, "c2", budget=99.0) is False  # set once, never replaced
    row = _row(sqlite_engine, "c2")
    assert (row.status, row.name, row.budget, row.goal) == ("running", "c2", 50.0, None)
    # a goal arriving after the engine made the row leaves it as it is, unaudited
    open_campaign(sqlite_engine, "c2", thread_id="t2", goal=GOAL, requested_by="olivia")
    assert _row(sqlite_engine, "c2").status == "running"
    assert _audits(sqlite_engine, "c2") == []


def test_updates_are_audited_without_the_plan_body(sqlite_engine: Engine) -> None:
    open_campaign(sqlite_engine, "c3", thread_id="t3", goal=GOAL, requested_by="olivia")
    plan = {"name": "Win back", "steps": [{"step_id": "s1"}]}
    set_campaign(
        sqlite_engine, "c3", actor="planner", action="plan.revision", plan=plan, revision=1
    )
    assert _row(sqlite_engine, "c3").revision == 1
    with sqlite_engine.connect() as conn:
        detail = conn.execute(
            select(AuditLog.detail).where(AuditLog.action == "plan.revision")
        ).scalar_one()
    assert detail == {"revision": 1, "plan_name": "Win back"}


def test_a_lesson_is_found_once_stored(sqlite_engine: Engine) -> None:
    assert not has_lesson(sqlite_engine, "c4")
    add_lesson(sqlite_engine, "c4", objective="win_back", language="en", text="email worked")
    assert has_lesson(sqlite_engine, "c4") and not has_lesson(sqlite_engine, "c5")

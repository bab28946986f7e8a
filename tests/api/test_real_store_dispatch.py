"""Approving through the API on a real (unmarked) store only enqueues: no simulation."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.agents.test_graph_integration import GOAL
from tests.dispatch.factory import step
from tests.doubles import populate
from userops.accounts import add_user
from userops.api.app import create_app
from userops.dispatch.engine import enqueue
from userops.dispatch.policy import Policy
from userops.settings import Settings
from userops.store.meta import is_simulated


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_approval_on_a_real_store_enqueues_only(sqlite_engine: Engine, home: Path) -> None:
    """The real stack (offline planner, sandbox delivery) over a store nobody marked.

    Before the fix, the approval ran a worker over every due row with its clock moved 48 h
    ahead (another campaign's rows due in 30 h went out) and wrote simulated orders, events
    and consent withdrawals (``source = sandbox``) into the store.
    """
    populate(sqlite_engine, 300)
    assert not is_simulated(sqlite_engine)
    now = int(time.time())
    other = step([1, 2, 3, 4, 5], campaign="other")
    enqueue(sqlite_engine, other, policy=Policy.load(), now_ts=now)
    with sqlite_engine.begin() as conn:  # due in 30 hours, as in the report
        conn.execute(
            text("UPDATE outbox SET state = 'deferred', not_before_ts = :t"),
            {"t": now + 30 * 3600},
        )
    events_before = _count(sqlite_engine, "SELECT count(*) FROM events")
    tokens = {
        n: add_user(sqlite_engine, n, r)[1]
        for n, r in (("olivia", "operator"), ("ana", "approver"))
    }
    app = create_app(Settings(home=home, embedding="hashing"), engine=sqlite_engine, recover=False)
    with TestClient(app) as client:
        r = client.post(
            "/v1/threads",
            json={"goal": GOAL, "thread_id": "real"},
            headers={"Authorization": f"Bearer {tokens['olivia']}"},
        )
        assert r.status_code == 201, r.text
        aid = r.json()["approval_id"]
        r = client.post(
            f"/v1/approvals/{aid}/decision",
            json={"decision": "approve"},
            headers={"Authorization": f"Bearer {tokens['ana']}"},
        )
        assert r.status_code == 200, r.text
    with sqlite_engine.connect() as conn:
        states = dict(
            conn.execute(
                text(
                    "SELECT state, count(*) FROM outbox WHERE campaign_id != 'other' GROUP BY state"
                )
            ).all()
        )
        others = conn.execute(
            text("SELECT DISTINCT state, not_before_ts FROM outbox WHERE campaign_id = 'other'")
        ).all()
    assert states and set(states) <= {"pending", "deferred", "suppressed"}, states
    assert states.get("pending", 0) + states.get("deferred", 0) > 0
    assert others == [("deferred", now + 30 * 3600)]  # the other campaign is untouched
    assert _count(sqlite_engine, "SELECT count(*) FROM deliveries") == 0
    assert _count(sqlite_engine, "SELECT count(*) FROM consents WHERE source = 'sandbox'") == 0
    assert _count(sqlite_engine, "SELECT count(*) FROM events") == events_before

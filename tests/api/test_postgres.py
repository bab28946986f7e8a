"""The API on PostgreSQL for real: threads to the gate, the inbox, the decision race, import.

The store, the LangGraph checkpoints and the per-thread advisory locks are all on a fresh
PostgreSQL database (``pg_url``); skipped only when no server answers at 127.0.0.1:5432.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import text

from tests.api.conftest import Api, decision_race, gate, live_server

DATA = Path(__file__).resolve().parents[1] / "data"


def test_thread_to_the_gate_inbox_and_second_run_refused(pg_api: Api) -> None:
    aid = gate(pg_api, "pg-1")
    rows = pg_api.client.get("/v1/approvals?status=pending", headers=pg_api.auth("ana")).json()
    assert [r["id"] for r in rows] == [aid] and rows[0]["thread_id"] == "pg-1"
    assert rows[0]["created_at"].endswith("+00:00")  # timezone-aware on PostgreSQL
    state = pg_api.client.get("/v1/threads/pg-1", headers=pg_api.auth("ana")).json()
    assert state["status"] == "awaiting_approval" and state["approval_id"] == aid
    again = pg_api.client.post(
        "/v1/threads/pg-1/messages", json={"text": "more"}, headers=pg_api.auth("olivia")
    )
    assert again.status_code == 409


def test_two_approvers_race_exactly_one_wins(pg_api: Api) -> None:
    aid = gate(pg_api, "pg-race")
    decision_race(pg_api, aid)
    with pg_api.engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM approvals WHERE id = :i"), {"i": aid})
        assert status.scalar_one() in ("approved", "rejected")


def test_import_upload_validated_and_all_or_nothing(pg_api: Api) -> None:
    url = "/v1/profiles/import?kind=users&format=csv"
    good = (DATA / "import" / "users.csv").read_bytes()
    r = pg_api.client.post(url, content=good, headers=pg_api.auth("olivia"))
    assert r.status_code == 200, r.text
    assert r.json()["rows"] > 0
    with pg_api.engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM users")).scalar_one()
    bad = (DATA / "import" / "users_bad.csv").read_bytes()
    r = pg_api.client.post(url, content=bad, headers=pg_api.auth("olivia"))
    assert r.status_code == 422
    problem = r.json()["detail"][0]
    assert problem["source"] == "upload" and problem["line"] and problem["field"]
    with pg_api.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == before


def test_follow_stream_over_a_real_server(pg_api: Api) -> None:
    app = pg_api.client.app
    with live_server(app) as url, httpx.Client(timeout=30) as client:
        auth = pg_api.auth("ana")
        with client.stream("GET", f"{url}/v1/threads/pg-f/events?heartbeat=30", headers=auth) as s:
            assert s.status_code == 200
            lines = s.iter_lines()
            assert next(lines) == "event: state"
            gate(pg_api, "pg-f")
            seen: list[str] = []
            for line in lines:
                if line.startswith("event: "):
                    seen.append(line[7:])
                if seen and seen[-1] == "state":
                    break
    assert "progress" in seen and seen[-1] == "state"

"""POST /v1/journeys/propose: operators propose, the version waits for an approver."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from tests.api.conftest import Api
from userops.journeys.records import approve

GOAL = "Whenever someone abandons a cart, wait 1 hour, push a reminder; exit when they order."


def test_operator_proposes_and_an_approver_approves(api: Api) -> None:
    r = api.client.post("/v1/journeys/propose", json={"goal": GOAL}, headers=api.auth("olivia"))
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["status"] == "awaiting_approval" and got["version"] == 1
    assert got["approval_id"] == f"{got['journey_id']}:v1"
    with api.engine.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM journey_versions WHERE journey_id = :j"),
            {"j": got["journey_id"]},
        ).scalar()
    assert status == "awaiting_approval"
    assert approve(api.engine, got["journey_id"], actor="ana")["status"] == "approved"


def test_roles_and_bad_goals(api: Api) -> None:
    body = {"goal": GOAL}
    assert api.client.post("/v1/journeys/propose", json=body).status_code == 401
    r = api.client.post("/v1/journeys/propose", json=body, headers=api.auth("ana"))
    assert r.status_code == 403  # approvers decide; they do not propose
    r = api.client.post("/v1/journeys/propose", json={"goal": ""}, headers=api.auth("root"))
    assert r.status_code == 422 and "goal" in r.text
    r = api.client.post(
        "/v1/journeys/propose", json={"goal": "每当有事就发消息"}, headers=api.auth("root")
    )
    assert r.status_code == 200 and r.json()["status"] == "needs_clarification"
    assert r.json()["questions"] and r.json()["journey_id"] is None


def test_langgraph_sdk_run_turns_a_journey_goal_into_a_proposal(
    sqlite_engine: Engine, home: Path
) -> None:
    from langgraph_sdk import get_sync_client

    from agents.evaluation.journey import JourneyEvaluator
    from agents.planning.journey.propose import propose_journey
    from tests.agents.loop_doubles import make_deps, seed_users
    from tests.api.conftest import live_server
    from userops.accounts import add_user
    from userops.api.app import create_app
    from userops.dispatch.policy import Policy
    from userops.settings import Settings

    seed_users(sqlite_engine, 30)
    token = add_user(sqlite_engine, "olivia", "operator")[1]
    ev = JourneyEvaluator(sqlite_engine, Policy.with_overrides({}))
    deps = make_deps(
        sqlite_engine,
        propose_journey=lambda g, a: propose_journey(sqlite_engine, g, actor=a, evaluator=ev),
    )
    app = create_app(Settings(home=home, embedding="hashing"), engine=sqlite_engine, loop_deps=deps)
    with live_server(app) as url:
        client = get_sync_client(
            url=url, api_key=None, headers={"Authorization": f"Bearer {token}"}
        )
        aid = client.assistants.search(graph_id="userops")[0]["assistant_id"]
        thread = client.threads.create()
        said: Any = {"messages": [{"role": "user", "content": GOAL}]}
        out = client.runs.wait(thread["thread_id"], aid, input=said)
    assert isinstance(out, dict) and out["status"] == "journey_proposed", out
    assert out["journey"]["approval_id"] == f"{out['journey']['journey_id']}:v1"
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM outbox")).scalar() == 0

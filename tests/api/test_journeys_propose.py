"""POST /v1/journeys/propose: operators propose, the version waits for an approver."""

from __future__ import annotations

from sqlalchemy import text

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

from typing import Any

from sqlalchemy import text

from tests.api.conftest import Api, decision_race, gate
from userops.approvals.card import ApprovalCard


def test_list_filters_and_card(api: Api) -> None:
    aid = gate(api)
    rows = api.client.get("/v1/approvals?status=pending", headers=api.auth("olivia")).json()
    assert [r["id"] for r in rows] == [aid] and "card" not in rows[0]
    assert api.client.get("/v1/approvals?status=approved", headers=api.auth("ana")).json() == []
    r = api.client.get("/v1/approvals?status=bogus", headers=api.auth("ana"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "status"]
    card = api.client.get(f"/v1/approvals/{aid}", headers=api.auth("ana")).json()["card"]
    assert card["plan"]["steps"] and "preflight" in card
    shown = ApprovalCard.model_validate(card)  # the card the API serves is the model's shape
    assert shown.contract is not None and shown.understood is not None and shown.understood.lines
    first = shown.contract.steps[0]
    assert first.step_id == card["step_id"] and first.kind == "main"
    assert shown.contract.max_messages >= card["preflight"]["sent"] + card["preflight"]["deferred"]
    r = api.client.get(f"/v1/approvals?offset={2**63}", headers=api.auth("ana"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "offset"]
    assert api.client.get("/v1/approvals/nope", headers=api.auth("ana")).status_code == 404


def test_operator_cannot_decide_before_any_lookup(api: Api) -> None:
    r = api.client.post(
        "/v1/approvals/does-not-exist/decision",
        json={"decision": "approve"},
        headers=api.auth("olivia"),
    )
    assert r.status_code == 403
    r = api.client.post("/v1/approvals/does-not-exist/decision", json={"decision": "approve"})
    assert r.status_code == 401


def test_validation_names_the_field(api: Api) -> None:
    aid = gate(api)
    url = f"/v1/approvals/{aid}/decision"
    r = api.client.post(url, json={"decision": "reject"}, headers=api.auth("ana"))
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "comment"
    r = api.client.post(url, json={"decision": "edit"}, headers=api.auth("ana"))
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "edited_plan"
    r = api.client.post(
        url, json={"decision": "edit", "edited_plan": {"name": 3}}, headers=api.auth("ana")
    )
    assert r.status_code == 422 and r.json()["detail"][0]["field"].startswith("edited_plan.")
    r = api.client.post(url, json={"decision": "maybe"}, headers=api.auth("ana"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "decision"]


def test_approve_resumes_and_is_idempotent_per_client_id(api: Api) -> None:
    aid = gate(api)
    url = f"/v1/approvals/{aid}/decision"
    body = {"decision": "approve", "comment": "ok", "client_decision_id": "c-1"}
    r = api.client.post(url, json=body, headers=api.auth("ana"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["decided_by"] == "ana"
    assert r.json()["thread_status"] == "completed" and r.json()["replayed"] is False
    again = api.client.post(url, json=body, headers=api.auth("ana"))
    assert again.status_code == 200 and again.json()["replayed"] is True
    other = api.client.post(
        url, json={"decision": "reject", "comment": "no"}, headers=api.auth("bob")
    )
    assert other.status_code == 409 and other.json()["current"]["decided_by"] == "ana"
    with api.engine.connect() as conn:
        sent = conn.execute(text("SELECT count(*) FROM outbox")).scalar_one()
        audited = (
            conn.execute(text("SELECT actor FROM audit WHERE action = 'decision.approved'"))
            .scalars()
            .all()
        )
    assert sent > 0 and audited == ["ana"]


def test_requester_cannot_approve_own_campaign(api: Api) -> None:
    r = api.client.post(
        "/v1/threads", json={"goal": "win back", "thread_id": "own"}, headers=api.auth("root")
    )
    aid = r.json()["approval_id"]
    r = api.client.post(
        f"/v1/approvals/{aid}/decision", json={"decision": "approve"}, headers=api.auth("root")
    )
    assert r.status_code == 403 and r.json()["reason"] == "self_approval"


def test_two_approvers_race_exactly_one_wins(api: Api) -> None:
    decision_race(api, gate(api))


def test_edit_with_a_valid_plan_is_recorded(api: Api) -> None:
    aid = gate(api)
    card = api.client.get(f"/v1/approvals/{aid}", headers=api.auth("ana")).json()["card"]
    plan = dict(card["plan"])
    plan["name"] = "edited by ana"
    r = api.client.post(
        f"/v1/approvals/{aid}/decision",
        json={"decision": "edit", "edited_plan": plan, "comment": "renamed"},
        headers=api.auth("ana"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "edited" and r.json()["decision"]["type"] == "edit"
    assert r.json()["decision"]["edited_action"]["args"]["plan"]["name"] == "edited by ana"


def test_one_client_decision_id_on_two_approvals(api: Api) -> None:
    """Before: the second decision raised inside the graph (a bare 500) and wedged its thread."""
    body = {"decision": "approve", "client_decision_id": "k"}
    for tid in ("ta", "tb"):
        aid = gate(api, tid)
        r = api.client.post(f"/v1/approvals/{aid}/decision", json=body, headers=api.auth("ana"))
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["thread_status"]) == ("approved", "completed")
        again = api.client.post(f"/v1/approvals/{aid}/decision", json=body, headers=api.auth("ana"))
        assert again.status_code == 200 and again.json()["replayed"] is True


def _edit(api: Api, aid: str, who: str) -> str:
    """``who`` edits the plan of ``aid``; return the approval of the edited revision."""
    card = api.client.get(f"/v1/approvals/{aid}", headers=api.auth(who)).json()["card"]
    plan = {**card["plan"], "name": f"edited by {who}"}
    r = api.client.post(
        f"/v1/approvals/{aid}/decision",
        json={"decision": "edit", "edited_plan": plan},
        headers=api.auth(who),
    )
    assert r.status_code == 200 and r.json()["thread_status"] == "awaiting_approval", r.text
    now = api.client.get(f"/v1/threads/{r.json()['thread_id']}", headers=api.auth(who)).json()
    assert now["approval_id"] != aid
    return str(now["approval_id"])


def test_the_last_editor_may_not_approve_their_edit(api: Api) -> None:
    """Before: the edited revision kept the operator as requester; the editor approved it."""
    edited = _edit(api, gate(api), "ana")
    row = api.client.get(f"/v1/approvals/{edited}", headers=api.auth("bob")).json()
    assert row["edited_by"] == "ana" and row["requested_by"] == "olivia"
    assert row["card"]["edited_by"] == "ana"
    listed = api.client.get("/v1/approvals?status=pending", headers=api.auth("bob")).json()
    assert [(a["id"], a["edited_by"]) for a in listed] == [(edited, "ana")]
    url = f"/v1/approvals/{edited}/decision"
    r = api.client.post(url, json={"decision": "approve"}, headers=api.auth("ana"))
    assert r.status_code == 403 and r.json()["reason"] == "own_edit", r.text
    r = api.client.post(url, json={"decision": "approve"}, headers=api.auth("bob"))
    assert r.status_code == 200 and r.json()["thread_status"] == "completed", r.text


def test_langgraph_resume_keeps_the_editor_and_operators_out(api: Api) -> None:
    """One rule with /v1: the editor may not approve, an operator may not even comment."""
    edited = _edit(api, gate(api), "ana")

    def resume(who: str, decision: dict[str, str]) -> Any:
        body = {"assistant_id": "userops", "command": {"resume": {"decisions": [decision]}}}
        return api.client.post("/threads/t1/runs/wait", json=body, headers=api.auth(who))

    r = resume("ana", {"type": "approve"})
    assert r.status_code == 403 and r.json()["reason"] == "own_edit", r.text
    r = api.client.post(
        f"/v1/approvals/{edited}/decision",
        json={"decision": "respond", "comment": "x"},
        headers=api.auth("olivia"),
    )
    assert r.status_code == 403
    r = resume("olivia", {"type": "respond", "message": "set by an operator"})
    assert r.status_code == 403 and r.json()["reason"] == "role", r.text  # before: 200, set
    row = api.client.get(f"/v1/approvals/{edited}", headers=api.auth("ana")).json()
    assert (row["status"], row["comment"]) == ("pending", None)
    assert resume("bob", {"type": "approve"}).json()["status"] == "completed"


def test_a_rejection_after_an_edit_keeps_it_through_v1(api: Api) -> None:
    """Before: revision 3 went back to the playbook's holdout, losing ana's 20%."""
    aid = gate(api)
    card = api.client.get(f"/v1/approvals/{aid}", headers=api.auth("ana")).json()["card"]
    plan = card["plan"]
    plan["steps"][0]["holdout_share"] = 0.2
    url = f"/v1/approvals/{aid}/decision"
    r = api.client.post(
        url, json={"decision": "edit", "edited_plan": plan}, headers=api.auth("ana")
    )
    assert r.status_code == 200, r.text
    edited = api.client.get(f"/v1/threads/{r.json()['thread_id']}", headers=api.auth("ana"))
    url = f"/v1/approvals/{edited.json()['approval_id']}/decision"
    body = {"decision": "reject", "comment": "smaller audience"}
    r = api.client.post(url, json=body, headers=api.auth("ana"))
    assert r.status_code == 200 and r.json()["thread_status"] == "awaiting_approval", r.text
    now = api.client.get(f"/v1/threads/{r.json()['thread_id']}", headers=api.auth("bob")).json()
    row = api.client.get(f"/v1/approvals/{now['approval_id']}", headers=api.auth("bob")).json()
    assert row["revision"] == 3 and row["edited_by"] == "ana"  # it still carries her edit
    assert row["card"]["plan"]["steps"][0]["holdout_share"] == 0.2

"""userops.approvals.records: exactly-once decisions, conflicts, roles, self-approval, audit."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, insert, text

from userops import accounts
from userops.approvals import records as approvals
from userops.errors import BadInput, Conflict, NotFound, PolicyRefused
from userops.store.models import Campaign


def _request(
    engine: Engine, aid: str = "a1", *, campaign: bool = True, edited_by: str | None = None
) -> None:
    if campaign:
        with engine.begin() as conn:
            conn.execute(insert(Campaign.__table__).values(id="c1", name="c1"))
    approvals.create_request(
        engine,
        approval_id=aid,
        campaign_id="c1",
        thread_id="t1",
        revision=1,
        card={"x": 1},
        risk_tier="medium",
        requested_by="olivia",
        edited_by=edited_by,
    )


def test_decision_recorded_exactly_once(any_engine: Engine) -> None:
    _request(any_engine)
    rec = approvals.decide(
        any_engine, "a1", {"type": "approve"}, actor="ana", client_decision_id="d1"
    )
    assert rec.status == "approved" and rec.decided_by == "ana"
    again = approvals.decide(
        any_engine, "a1", {"type": "approve"}, actor="ana", client_decision_id="d1"
    )
    assert again.decided_at == rec.decided_at  # a replay is idempotent
    with pytest.raises(Conflict) as exc:
        approvals.decide(
            any_engine,
            "a1",
            {"type": "reject", "message": "no"},
            actor="bob",
            client_decision_id="d2",
        )
    assert exc.value.current["status"] == "approved" and exc.value.current["decided_by"] == "ana"
    # the loser's 409 carries the winner as JSON (datetimes once made the API answer 500)
    assert json.loads(json.dumps(exc.value.current))["decided_at"] == rec.decided_at.isoformat()
    with any_engine.connect() as conn:
        actions = list(conn.execute(text("SELECT action FROM audit ORDER BY id")).scalars())
    assert actions == ["proposal", "decision.approved"]


def test_create_request_is_idempotent(sqlite_engine: Engine) -> None:
    _request(sqlite_engine)
    approvals.create_request(
        sqlite_engine,
        approval_id="a1",
        campaign_id="c1",
        thread_id="t1",
        revision=1,
        card={"x": 2},
        risk_tier="low",
        requested_by="olivia",
    )
    assert approvals.get(sqlite_engine, "a1").card == {"x": 1}
    assert len(approvals.list_approvals(sqlite_engine, status="pending")) == 1


def test_self_approval_and_roles(sqlite_engine: Engine) -> None:
    _request(sqlite_engine)
    with pytest.raises(PolicyRefused):
        approvals.decide(sqlite_engine, "a1", {"type": "approve"}, actor="olivia")
    accounts.add_user(sqlite_engine, "olivia", "operator")
    accounts.add_user(sqlite_engine, "ana", "approver")
    with pytest.raises(PolicyRefused) as exc:
        approvals.decide(sqlite_engine, "a1", {"type": "reject"}, actor="olivia")
    assert exc.value.reason == "role"
    with pytest.raises(PolicyRefused):
        approvals.decide(sqlite_engine, "a1", {"type": "approve"}, actor="mallory")
    with pytest.raises(PolicyRefused) as exc:  # a comment is a decision: approvers only
        approvals.decide(sqlite_engine, "a1", {"type": "respond", "message": "x"}, actor="olivia")
    assert exc.value.reason == "role" and approvals.get(sqlite_engine, "a1").comment is None
    approvals.decide(sqlite_engine, "a1", {"type": "respond", "message": "hm"}, actor="ana")
    assert approvals.get(sqlite_engine, "a1").status == "pending"
    assert approvals.decide(sqlite_engine, "a1", {"type": "approve"}, actor="ana").status == (
        "approved"
    )


def test_decision_ids_are_scoped_per_approval(any_engine: Engine) -> None:
    """One client id on two approvals records both (it was unique across all: a 500)."""
    _request(any_engine, "a1")
    _request(any_engine, "a2", campaign=False)
    for aid in ("a1", "a2"):
        rec = approvals.decide(
            any_engine, aid, {"type": "approve"}, actor="ana", client_decision_id="k"
        )
        assert rec.status == "approved" and rec.client_decision_id == "k"
    replay = approvals.decide(
        any_engine, "a2", {"type": "approve"}, actor="ana", client_decision_id="k"
    )
    assert replay.decided_at == approvals.get(any_engine, "a2").decided_at


def test_the_last_editor_never_approves(sqlite_engine: Engine) -> None:
    _request(sqlite_engine, edited_by="ana")
    accounts.add_user(sqlite_engine, "ana", "approver")
    accounts.add_user(sqlite_engine, "bob", "approver")
    for allow in (False, True):  # whatever the self-approval policy says
        with pytest.raises(PolicyRefused) as exc:
            approvals.decide(
                sqlite_engine, "a1", {"type": "approve"}, actor="ana", allow_self_approval=allow
            )
        assert exc.value.reason == "own_edit"
    assert approvals.get(sqlite_engine, "a1").edited_by == "ana"
    assert approvals.decide(sqlite_engine, "a1", {"type": "approve"}, actor="bob").status == (
        "approved"
    )


def test_a_comment_never_rewrites_a_decided_approval(sqlite_engine: Engine) -> None:
    _request(sqlite_engine)
    approvals.decide(sqlite_engine, "a1", {"type": "approve", "message": "ok"}, actor="ana")
    with pytest.raises(Conflict):
        approvals.decide(sqlite_engine, "a1", {"type": "respond", "message": "x"}, actor="bob")
    assert approvals.get(sqlite_engine, "a1").comment == "ok"


def test_self_approval_allowed_by_policy(sqlite_engine: Engine) -> None:
    _request(sqlite_engine)
    rec = approvals.decide(
        sqlite_engine, "a1", {"type": "approve"}, actor="olivia", allow_self_approval=True
    )
    assert rec.status == "approved"


def test_bad_decision_and_missing(sqlite_engine: Engine) -> None:
    _request(sqlite_engine)
    with pytest.raises(BadInput) as exc:
        approvals.decide(sqlite_engine, "a1", {"type": "maybe"}, actor="ana")
    assert "decision.type='maybe'" in str(exc.value)
    with pytest.raises(NotFound):
        approvals.get(sqlite_engine, "zzz")


def test_accounts_token_hash_only(sqlite_engine: Engine) -> None:
    info, token = accounts.add_user(sqlite_engine, "ana", "approver")
    with sqlite_engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM accounts")).scalar_one()
    assert stored == accounts.hash_token(token) and token not in stored
    assert accounts.authenticate(sqlite_engine, token) == info
    assert accounts.authenticate(sqlite_engine, token + "x") is None
    with pytest.raises(Conflict):
        accounts.add_user(sqlite_engine, "ana", "admin")
    with pytest.raises(BadInput) as exc:
        accounts.add_user(sqlite_engine, "bo", "king")
    assert "role='king'" in str(exc.value)

"""Resume in both interrupt shapes (LangChain HITL and Agent Inbox) with the real
``langgraph-sdk`` client; a malformed resume is a located 422 that leaves the interrupt
pending; one interrupt id in ``runs.wait``, ``threads.get_state`` and ``threads.get``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient
from sqlalchemy import Engine, text

from userops.api.lg_resume import resume_decision
from userops.errors import BadInput


def _client(url: str, token: str) -> SyncLangGraphClient:
    return get_sync_client(url=url, api_key=None, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize(
    ("resume", "decision"),
    [
        ({"decisions": [{"type": "approve"}]}, {"type": "approve"}),
        ([{"type": "accept", "args": None}], {"type": "approve"}),
        (
            [{"type": "ignore", "args": None}],
            {"type": "reject", "message": "ignored in Agent Inbox"},
        ),
        (
            [{"type": "response", "args": "why 3 steps?"}],
            {"type": "respond", "message": "why 3 steps?"},
        ),
        (
            [{"type": "edit", "args": {"action": "dispatch_campaign_step", "args": {"plan": {}}}}],
            {
                "type": "edit",
                "edited_action": {"name": "dispatch_campaign_step", "args": {"plan": {}}},
            },
        ),
    ],
)
def test_both_shapes_map_to_one_decision(resume: Any, decision: dict[str, Any]) -> None:
    assert resume_decision(resume) == decision


@pytest.mark.parametrize(
    ("resume", "field"),
    [
        ({"decisions": [{"type": "approve"}, {"type": "reject"}]}, "command.resume.decisions"),
        ({"decisions": []}, "command.resume.decisions"),
        ({"decisions": [{"type": "accept"}]}, "command.resume.decisions.0.type"),
        ({"decisions": [{"type": "edit"}]}, "command.resume.decisions.0.edited_action"),
        ({"decisions": [{"type": "respond"}]}, "command.resume.decisions.0.message"),
        ({"decisions": [{"type": "reject", "message": 3}]}, "command.resume.decisions.0.message"),
        ([{"type": "approve"}], "command.resume.0.type"),
        ([{"type": "response", "args": ""}], "command.resume.0.args"),
        ([{"type": "edit", "args": "x"}], "command.resume.0.args"),
        ("yes", "command.resume"),
    ],
)
def test_malformed_resume_names_the_place(resume: Any, field: str) -> None:
    with pytest.raises(BadInput) as err:
        resume_decision(resume)
    assert err.value.problems[0].field == field


def _wait(lg: SyncLangGraphClient, tid: str, **kw: Any) -> Any:
    return lg.runs.wait(tid, "userops", **kw)


def test_resume_shapes_live(site: tuple[str, dict[str, str]], sqlite_engine: Engine) -> None:
    url, tokens = site
    op, ap = _client(url, tokens["olivia"]), _client(url, tokens["ana"])
    tid = op.threads.create()["thread_id"]
    out = _wait(op, tid, input={"goal": "win back"})
    iid = out["__interrupt__"][0]["id"]
    assert iid and op.threads.get_state(tid)["interrupts"][0]["id"] == iid
    assert list(op.threads.get(tid)["interrupts"].values())[0][0]["id"] == iid

    for bad in ({"decisions": [{"type": "approve"}, {"type": "reject"}]}, [{"type": "maybe"}]):
        with pytest.raises(httpx.HTTPStatusError) as err:
            _wait(ap, tid, command={"resume": bad})
        assert err.value.response.status_code == 422
        assert err.value.response.json()["detail"][0]["field"].startswith("command.resume")
        state = op.threads.get_state(tid)  # still waiting, same interrupt
        assert state["next"] == ["approval_gate"] and state["interrupts"][0]["id"] == iid

    # Agent Inbox: a response is a comment (still pending), then accept approves
    again = _wait(ap, tid, command={"resume": [{"type": "response", "args": "ok?"}]})
    assert again["__interrupt__"]
    done = _wait(ap, tid, command={"resume": [{"type": "accept", "args": None}]})
    assert "__interrupt__" not in done and done["status"] == "completed"
    assert op.threads.get(tid)["status"] == "idle"

    other = op.threads.create()["thread_id"]
    _wait(op, other, input={"goal": "win back"})
    _wait(ap, other, command={"resume": [{"type": "ignore", "args": None}]})
    with sqlite_engine.connect() as conn:
        q = text("SELECT thread_id, status, decided_by FROM approvals ORDER BY created_at, id")
        rows = [tuple(r) for r in conn.execute(q)]
    assert rows[0] == (tid, "approved", "ana")
    assert rows[1] == (other, "rejected", "ana")  # ignore rejects; the loop then revises

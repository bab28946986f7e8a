"""Drive the loop with the official langgraph-sdk client against a real uvicorn server."""

import httpx
import pytest
from langgraph_sdk import get_sync_client
from sqlalchemy import Engine, text

from userops.threads import events as thread_events


def _client(url: str, token: str):  # type: ignore[no-untyped-def]
    return get_sync_client(url=url, api_key=None, headers={"Authorization": f"Bearer {token}"})


def test_sdk_runs_to_interrupt_and_resumes(
    site: tuple[str, dict[str, str]], sqlite_engine: Engine
) -> None:
    url, tokens = site
    op = _client(url, tokens["olivia"])
    assistants = op.assistants.search(graph_id="userops")
    assert len(assistants) == 1
    aid = assistants[0]["assistant_id"]
    thread = op.threads.create()
    out = op.runs.wait(
        thread["thread_id"], aid, input={"messages": [{"role": "user", "content": "win back"}]}
    )
    assert out["__interrupt__"][0]["value"]["action_requests"]
    state = op.threads.get_state(thread["thread_id"])
    assert state["next"] == ["approval_gate"]
    assert state["interrupts"] and state["values"]["approval_id"]
    req = state["interrupts"][0]["value"]["action_requests"][0]
    assert req["name"] == "dispatch_campaign_step"
    assert op.threads.get(thread["thread_id"])["status"] == "interrupted"

    # an operator may not decide; the approver resumes with a HITL decision
    with pytest.raises(httpx.HTTPStatusError) as err:
        op.runs.wait(
            thread["thread_id"], aid, command={"resume": {"decisions": [{"type": "approve"}]}}
        )
    assert err.value.response.status_code == 403
    ap = _client(url, tokens["ana"])
    done = ap.runs.wait(
        thread["thread_id"], aid, command={"resume": {"decisions": [{"type": "approve"}]}}
    )
    assert "__interrupt__" not in done and done["status"] == "completed"
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT decided_by FROM approvals")).scalar_one() == "ana"
    # SDK runs reach /v1 followers too: both runs recorded their progress and end state.
    states = [
        e.data["status"]
        for e in thread_events.since(sqlite_engine, {thread["thread_id"]: 0})
        if e.event == "state"
    ]
    assert states == ["awaiting_approval", "completed"]


def test_sdk_stream_and_auth(site: tuple[str, dict[str, str]]) -> None:
    url, tokens = site
    op = _client(url, tokens["olivia"])
    aid = op.assistants.search()[0]["assistant_id"]
    tid = op.threads.create()["thread_id"]
    parts = list(
        op.runs.stream(tid, aid, input={"goal": "win back"}, stream_mode=["updates", "values"])
    )
    events = [p.event for p in parts]
    assert events[0] == "metadata" and "updates" in events and events[-1] == "values"
    assert parts[-1].data["__interrupt__"]
    with pytest.raises(httpx.HTTPStatusError) as err:
        _client(url, "wrong").assistants.search()
    assert err.value.response.status_code == 401

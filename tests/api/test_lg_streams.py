"""``runs.stream`` modes with the real ``langgraph-sdk`` client against a live server: the
state after every step (``values``), each node's update, complete messages as the SDK
expects them, debug / tasks / checkpoints / events, and a located 422 for an unknown mode."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient

GOAL = {"goal": "win back"}


def _client(url: str, token: str) -> SyncLangGraphClient:
    return get_sync_client(url=url, api_key=None, headers={"Authorization": f"Bearer {token}"})


def _parts(lg: SyncLangGraphClient, tid: str, modes: Any) -> list[tuple[str, Any]]:
    lg.threads.create(thread_id=tid)
    return [
        (p.event, p.data) for p in lg.runs.stream(tid, "userops", input=GOAL, stream_mode=modes)
    ]


def test_values_updates_and_messages(site: tuple[str, dict[str, str]]) -> None:
    url, tokens = site
    lg = _client(url, tokens["olivia"])
    parts = _parts(lg, "t-v", "values")
    assert parts[0][0] == "metadata"
    values = [d for e, d in parts if e == "values"]
    assert len(values) >= 5  # every state, not only the last
    assert [m["type"] for m in values[0]["messages"]] == ["human"]  # the input first
    assert (
        values[-1]["__interrupt__"][0]["id"] == lg.threads.get_state("t-v")["interrupts"][0]["id"]
    )

    parts = _parts(lg, "t-u", ["updates", "messages"])
    updates = [d for e, d in parts if e == "updates"]
    assert list(updates[0]) == ["intake"] and "__interrupt__" in updates[-1]
    events = [e for e, _ in parts if e.startswith("messages")]
    assert events[0] == "messages/metadata" and "messages/complete" in events
    complete = next(d for e, d in parts if e == "messages/complete")
    meta = next(d for e, d in parts if e == "messages/metadata")
    assert complete[0]["type"] == "ai" and complete[0]["id"] in meta
    assert meta[complete[0]["id"]]["metadata"]["langgraph_node"]

    parts = _parts(lg, "t-t", "messages-tuple")
    message, metadata = next(d for e, d in parts if e == "messages")
    assert message["type"] == "ai" and metadata["langgraph_node"]


def test_debug_tasks_checkpoints_events(site: tuple[str, dict[str, str]]) -> None:
    url, tokens = site
    lg = _client(url, tokens["olivia"])
    parts = _parts(lg, "t-d", ["debug", "tasks", "checkpoints", "events", "custom"])
    kinds = {d["type"] for e, d in parts if e == "debug"}
    assert kinds == {"checkpoint", "task", "task_result"}
    tasks = [d for e, d in parts if e == "tasks"]
    assert tasks[0]["name"] == "intake" and "input" in tasks[0] and "result" in tasks[1]
    assert all("values" in d and "next" in d for e, d in parts if e == "checkpoints")
    events = [d for e, d in parts if e == "events"]
    assert (events[0]["event"], events[0]["name"]) == ("on_chain_start", "intake")
    assert ("on_chain_end", "intake") in {(d["event"], d["name"]) for d in events}
    assert not [e for e, _ in parts if e == "custom"]  # the loop writes no custom stream

    with pytest.raises(httpx.HTTPStatusError) as err:
        _parts(lg, "t-bad", ["values", "tools"])
    assert err.value.response.status_code == 422
    assert err.value.response.json()["detail"][0]["field"] == "stream_mode.1"

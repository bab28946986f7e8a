"""Thread records with the real ``langgraph-sdk`` client against a live server: metadata
kept from ``threads.create``, ``get`` before the first run, ``update``, search by metadata,
``update_state(as_node="__end__")`` (Agent Inbox's "mark resolved") and ``copy``."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient
from sqlalchemy import Engine, text

from userops.accounts import add_user


def _client(url: str, token: str) -> SyncLangGraphClient:
    return get_sync_client(url=url, api_key=None, headers={"Authorization": f"Bearer {token}"})


def _status(call: object) -> int:
    with pytest.raises(httpx.HTTPStatusError) as err:
        call()  # type: ignore[operator]
    return err.value.response.status_code


def test_metadata_get_before_run_update_and_search(
    site: tuple[str, dict[str, str]], sqlite_engine: Engine
) -> None:
    url, tokens = site
    olivia, ana = _client(url, tokens["olivia"]), _client(url, tokens["ana"])
    oscar = _client(url, add_user(sqlite_engine, "oscar", "operator")[1])

    made = olivia.threads.create(thread_id="t-meta", metadata={"team": "growth", "n": 1})
    assert made["metadata"] == {"team": "growth", "n": 1}
    assert made["status"] == "idle" and made["values"] is None
    got = olivia.threads.get("t-meta")  # before any run
    assert got["metadata"] == {"team": "growth", "n": 1} and got["status"] == "idle"
    assert ana.threads.get("t-meta")["thread_id"] == "t-meta"  # approvers see all
    assert _status(lambda: oscar.threads.get("t-meta")) == 404  # another operator's
    assert _status(lambda: olivia.threads.create(thread_id="t-meta")) == 409
    again = olivia.threads.create(thread_id="t-meta", if_exists="do_nothing")
    assert again["created_at"] == made["created_at"]
    assert _status(lambda: oscar.runs.wait("t-meta", "userops", input={"goal": "x"})) == 404

    updated = olivia.threads.update("t-meta", metadata={"n": 2, "stage": "draft"})
    assert updated["metadata"] == {"team": "growth", "n": 2, "stage": "draft"}
    oscar.threads.create(thread_id="t-other", metadata={"team": "growth"})
    olivia.threads.create(thread_id="t-plain")
    olivia.runs.wait("t-meta", "userops", input={"goal": "win back"})

    assert [t["thread_id"] for t in olivia.threads.search(metadata={"team": "growth"})] == [
        "t-meta"
    ]
    both = ana.threads.search(metadata={"team": "growth"})
    assert {t["thread_id"] for t in both} == {"t-meta", "t-other"}
    assert [t["thread_id"] for t in olivia.threads.search(metadata={"stage": "x"})] == []
    waiting = olivia.threads.search(status="interrupted", metadata={"team": "growth"})
    assert [t["thread_id"] for t in waiting] == ["t-meta"]
    first: Any = waiting[0]
    assert first["metadata"]["stage"] == "draft" and first["values"]["owner"] == "olivia"
    assert olivia.threads.count(status="idle") == 1  # t-plain: created, never run
    assert [t["thread_id"] for t in olivia.threads.search(limit=1, offset=0)] == ["t-meta"]
    assert _status(lambda: olivia.threads.search(metadata="x")) == 422  # type: ignore[arg-type]

    olivia.threads.delete("t-plain")
    assert _status(lambda: olivia.threads.get("t-plain")) == 404

    # a thread started on /v1 runs the same graph: Agent Inbox's graph filter lists it
    h = {"Authorization": f"Bearer {tokens['olivia']}"}
    r = httpx.post(f"{url}/v1/threads", json={"goal": "win back", "thread_id": "t-v1"}, headers=h)
    assert r.status_code == 201
    inbox = ana.threads.search(status="interrupted", metadata={"graph_id": "userops"})
    assert {t["thread_id"] for t in inbox} == {"t-meta", "t-v1"}


def test_mark_resolved_and_copy(site: tuple[str, dict[str, str]], sqlite_engine: Engine) -> None:
    url, tokens = site
    olivia, ana = _client(url, tokens["olivia"]), _client(url, tokens["ana"])
    olivia.threads.create(thread_id="t-res")
    olivia.runs.wait("t-res", "userops", input={"goal": "win back"})
    state = ana.threads.get_state("t-res")
    approval_id = cast(dict[str, Any], state["values"])["approval_id"]

    # Agent Inbox's "mark as resolved": operators may not, other edits are refused
    assert _status(lambda: olivia.threads.update_state("t-res", None, as_node="__end__")) == 403
    assert _status(lambda: ana.threads.update_state("t-res", {"owner": "ana"})) == 422
    assert _status(lambda: olivia.threads.copy("t-res")) == 409  # one approval, one thread
    ana.threads.update_state("t-res", None, as_node="__end__")
    after = ana.threads.get("t-res")
    assert after["status"] == "idle" and after["interrupts"] == {}
    assert ana.threads.get_state("t-res")["next"] == []
    with sqlite_engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, decided_by FROM approvals WHERE id = :a"), {"a": approval_id}
        ).one()
    assert tuple(row) == ("rejected", "ana")
    assert _status(lambda: ana.threads.update_state("t-res", None, as_node="__end__")) == 409

    olivia.threads.update("t-res", metadata={"k": "v"})
    copy: Any = olivia.threads.copy("t-res")  # type: ignore[func-returns-value]
    assert copy["thread_id"] != "t-res" and copy["metadata"]["k"] == "v"
    assert copy["values"]["approval_id"] == approval_id
    src = olivia.threads.get_history("t-res", limit=100)
    dst = olivia.threads.get_history(copy["thread_id"], limit=100)
    assert [h["checkpoint"]["checkpoint_id"] for h in dst] == [
        h["checkpoint"]["checkpoint_id"] for h in src
    ]
    assert dst[0]["values"] == src[0]["values"]
    past = src[-1]["checkpoint"]  # get_state at a checkpoint, by id and by object
    at = olivia.threads.get_state("t-res", checkpoint_id=past["checkpoint_id"])
    assert at["checkpoint"]["checkpoint_id"] == past["checkpoint_id"]
    assert olivia.threads.get_state("t-res", checkpoint=past)["values"] == at["values"]
    assert _status(lambda: olivia.threads.get_state("t-res", checkpoint_id="nope")) == 404
    assert _status(lambda: ana.threads.copy("t-res")) == 403  # approvers do not run threads

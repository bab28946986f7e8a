"""LangGraph thread search, count and history with the real ``langgraph-sdk`` client against
a live server: status from the checkpoint, ownership, limit and offset, newest first."""

from __future__ import annotations

import httpx
import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient
from sqlalchemy import Engine, text

from userops.accounts import add_user


def _client(url: str, token: str) -> SyncLangGraphClient:
    return get_sync_client(url=url, api_key=None, headers={"Authorization": f"Bearer {token}"})


def _run(lg: SyncLangGraphClient, tid: str) -> None:
    lg.threads.create(thread_id=tid)
    lg.runs.wait(tid, "userops", input={"goal": "win back"})


def test_search_count_history(site: tuple[str, dict[str, str]], sqlite_engine: Engine) -> None:
    url, tokens = site
    olivia, ana = _client(url, tokens["olivia"]), _client(url, tokens["ana"])
    oscar = _client(url, add_user(sqlite_engine, "oscar", "operator")[1])
    _run(olivia, "t-one")
    _run(olivia, "t-two")
    _run(oscar, "t-oscar")
    ana.runs.wait("t-two", "userops", command={"resume": {"decisions": [{"type": "approve"}]}})

    found = olivia.threads.search()
    assert [t["thread_id"] for t in found] == ["t-two", "t-one"]  # own only, newest first
    assert [t["status"] for t in found] == ["idle", "interrupted"]
    assert found[1]["interrupts"] and (found[1]["values"] or {})["owner"] == "olivia"
    assert [t["thread_id"] for t in olivia.threads.search(status="interrupted")] == ["t-one"]
    assert [t["thread_id"] for t in olivia.threads.search(status="idle")] == ["t-two"]
    assert [t["thread_id"] for t in olivia.threads.search(limit=1, offset=1)] == ["t-one"]
    assert olivia.threads.search(status="busy") == []
    assert olivia.threads.search(values={"owner": "oscar"}) == []
    assert olivia.threads.count() == 2
    assert ana.threads.count() == 3  # approvers see every thread
    assert ana.threads.count(status="interrupted") == 2
    with pytest.raises(httpx.HTTPStatusError) as err:
        olivia.threads.search(status="sleeping")  # type: ignore[arg-type]
    assert err.value.response.status_code == 422
    assert err.value.response.json()["detail"][0]["field"] == "status"

    history = olivia.threads.get_history("t-one", limit=2)
    assert len(history) == 2
    state = olivia.threads.get_state("t-one")
    newest, older = history
    assert newest["checkpoint"]["checkpoint_id"] == state["checkpoint"]["checkpoint_id"]
    assert newest["parent_checkpoint"] is not None
    assert older["checkpoint"]["checkpoint_id"] == newest["parent_checkpoint"]["checkpoint_id"]
    assert newest["interrupts"] and not older["interrupts"]
    assert len(olivia.threads.get_history("t-one", limit=100)) > 2
    older_only = olivia.threads.get_history("t-one", before=newest["checkpoint"], limit=1)
    assert older_only[0]["checkpoint"]["checkpoint_id"] == older["checkpoint"]["checkpoint_id"]
    for bad in ({"checkpoint_id": 5}, "x"):
        with pytest.raises(httpx.HTTPStatusError) as err:
            olivia.threads.get_history("t-one", before=bad)  # type: ignore[arg-type]
        assert err.value.response.status_code == 422
    with pytest.raises(httpx.HTTPStatusError) as err:
        oscar.threads.get_history("t-one")  # another operator's thread: as if missing
    assert err.value.response.status_code == 404

    # delete: refused while an approval waits, by approvers and for others' threads
    for who, tid, code in ((olivia, "t-one", 409), (ana, "t-two", 403), (oscar, "t-two", 404)):
        with pytest.raises(httpx.HTTPStatusError) as err:
            who.threads.delete(tid)
        assert err.value.response.status_code == code, (tid, code)
    olivia.threads.delete("t-two")
    for gone in (lambda: olivia.threads.get("t-two"), lambda: ana.threads.get_history("t-two")):
        with pytest.raises(httpx.HTTPStatusError) as err:
            gone()
        assert err.value.response.status_code == 404
    assert [t["thread_id"] for t in ana.threads.search()] == ["t-oscar", "t-one"]
    with sqlite_engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM thread_events WHERE thread_id = 't-two'"))
        assert left.scalar_one() == 0

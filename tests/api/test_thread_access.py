"""Thread ownership and thread ids: operators see only their own threads, ids are validated.

Before, any operator read, wrote on and followed any thread (/v1 and the LangGraph routes),
and the LangGraph routes took any string as a thread id.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.api.conftest import Api, gate
from userops.accounts import add_user

RUN = {"assistant_id": "userops", "input": {"goal": "win back"}}


@pytest.fixture
def oscar(api: Api) -> dict[str, str]:
    """A second operator's credentials."""
    return {"Authorization": f"Bearer {add_user(api.engine, 'oscar', 'operator')[1]}"}


def test_an_operator_cannot_see_or_touch_another_operators_thread(
    api: Api, oscar: dict[str, str]
) -> None:
    gate(api, "t1")  # olivia's thread, waiting at the gate
    c = api.client
    refused = [
        c.get("/v1/threads/t1", headers=oscar),
        c.post("/v1/threads/t1/messages", json={"text": "mine now"}, headers=oscar),
        c.post("/v1/threads/t1/stream", json={"text": "mine now"}, headers=oscar),
        c.post("/v1/threads", json={"goal": "win back", "thread_id": "t1"}, headers=oscar),
        c.get("/threads/t1", headers=oscar),
        c.get("/threads/t1/state", headers=oscar),
        c.post("/threads/t1/runs/wait", json=RUN, headers=oscar),
        c.post("/threads/t1/runs/stream", json=RUN, headers=oscar),
    ]
    assert [r.status_code for r in refused] == [404] * len(refused), [r.text for r in refused]
    # exactly what a thread that does not exist answers: its existence is not leaked
    missing = c.get("/v1/threads/t-none", headers=oscar).json()["detail"]
    assert refused[0].json()["detail"] == missing.replace("t-none", "t1")
    assert c.get("/threads/t-none/state", headers=oscar).status_code == 404
    for who in ("olivia", "ana", "root"):  # the owner, an approver, an admin
        for url in ("/v1/threads/t1", "/threads/t1", "/threads/t1/state"):
            r = c.get(url, headers=api.auth(who))
            assert r.status_code == 200, (who, url, r.text)
    assert c.get("/threads/t1/state", headers=api.auth("olivia")).json()["values"]["owner"] == (
        "olivia"
    )
    with api.engine.connect() as conn:
        actors = conn.execute(text("SELECT actor FROM audit WHERE action = 'thread.message'"))
        assert list(actors.scalars()) == ["olivia"]
    # an operator's own threads, through either API, are theirs to use
    r = c.post("/v1/threads", json={"goal": "win back", "thread_id": "o1"}, headers=oscar)
    assert r.status_code == 201 and c.get("/v1/threads/o1", headers=oscar).status_code == 200
    assert c.post("/threads/o2/runs/wait", json=RUN, headers=oscar).status_code == 200
    assert c.get("/threads/o2", headers=oscar).status_code == 200
    assert c.get("/threads/o2", headers=api.auth("olivia")).status_code == 404


BAD_IDS = ["x" * 65, "has space", "semi;colon", "ü"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_langgraph_thread_ids_are_validated(api: Api, bad: str) -> None:
    h = api.auth("olivia")
    for r in (
        api.client.get(f"/threads/{bad}", headers=h),
        api.client.get(f"/threads/{bad}/state", headers=h),
        api.client.post(f"/threads/{bad}/runs/wait", json=RUN, headers=h),
        api.client.post(f"/threads/{bad}/runs/stream", json=RUN, headers=h),
    ):
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "thread_id"]
    r = api.client.post("/threads", json={"thread_id": bad}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "thread_id", r.text


def test_langgraph_thread_ids_made_by_either_api_are_valid(api: Api) -> None:
    h = api.auth("olivia")
    made = api.client.post("/threads", json={}, headers=h).json()["thread_id"]
    for tid in (made, "t-0123456789ab", "chosen.name:1"):
        body = {"thread_id": tid, "if_exists": "do_nothing"}  # ``made`` exists: do_nothing
        r = api.client.post("/threads", json=body, headers=h)
        assert r.status_code == 200 and r.json()["thread_id"] == tid
    r = api.client.post("/threads", json={"thread_id": {"a": 1}}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "thread_id"


def _collect(resp: httpx.Response, out: list[tuple[str, Any]], stop: str | None) -> None:
    kind = ""
    try:
        for line in resp.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                out.append((kind, json.loads(line[6:])))
                if stop and kind == "state" and out[-1][1]["status"] == stop:
                    return
    except httpx.HTTPError:  # closed by the test
        return


def test_following_another_operators_thread_shows_nothing_of_it(
    site: tuple[str, dict[str, str]], sqlite_engine: Engine
) -> None:
    """Another's thread (existing or started later) looks new and sends only pings."""
    url, tokens = site
    oscar = {"Authorization": f"Bearer {add_user(sqlite_engine, 'oscar', 'operator')[1]}"}
    op = {"Authorization": f"Bearer {tokens['olivia']}"}
    ap = {"Authorization": f"Bearer {tokens['ana']}"}
    first = httpx.post(
        f"{url}/v1/threads", json={"goal": "win back", "thread_id": "f0"}, headers=op
    )
    assert first.status_code == 201
    seen: dict[str, list[tuple[str, Any]]] = {"f0": [], "f1": [], "own": []}
    with httpx.Client(timeout=30) as client:
        streams = [
            ("f0", oscar, None),  # exists already: olivia's
            ("f1", oscar, None),  # does not exist yet: olivia starts it below
            ("own", op, "awaiting_approval"),
        ]
        with (
            client.stream("GET", f"{url}/v1/threads/f0/events?heartbeat=0.5", headers=oscar) as a,
            client.stream("GET", f"{url}/v1/threads/f1/events?heartbeat=0.5", headers=oscar) as b,
            client.stream("GET", f"{url}/v1/threads/f1/events?heartbeat=0.5", headers=op) as c,
        ):
            readers = [
                threading.Thread(target=_collect, args=(resp, seen[key], stop), daemon=True)
                for resp, (key, _, stop) in zip((a, b, c), streams, strict=True)
            ]
            for t in readers:
                t.start()
            time.sleep(0.3)
            r = httpx.post(
                f"{url}/v1/threads", json={"goal": "win back", "thread_id": "f1"}, headers=op
            )
            assert r.status_code == 201
            r = httpx.post(
                f"{url}/v1/approvals/{first.json()['approval_id']}/decision",
                json={"decision": "approve"},
                headers=ap,
                timeout=30,
            )
            assert r.status_code == 200
            readers[2].join(30)
            time.sleep(1.2)  # time for anything meant for oscar to arrive
    assert [k for k, _ in seen["own"]][-1] == "state" and len(seen["own"]) > 2
    for key in ("f0", "f1"):
        kinds = [k for k, _ in seen[key]]
        assert kinds[0] == "state" and seen[key][0][1]["status"] == "new", seen[key]
        assert set(kinds[1:]) == {"ping"}, seen[key]


def test_an_unprintable_thread_id_is_refused_and_shown_escaped(api: Api) -> None:
    for bad in ("\ud800", "tab\there", "\x7f"):
        body = json.dumps({"thread_id": bad})  # \ud800 escaped: the client cannot encode it
        h = {**api.auth("olivia"), "content-type": "application/json"}
        r = api.client.post("/threads", content=body, headers=h)
        problem = r.json()["detail"][0]
        assert r.status_code == 422 and "thread_id" in problem["loc"], r.text
        # the guard refuses a lone surrogate before the route (``input``); the route's own
        # check refuses control characters (``value``): both show the value escaped
        shown = problem.get("value", problem.get("input"))
        assert shown in (ascii(bad), ascii(bad)[1:-1]), r.text

"""Following a thread over SSE while another client runs it (real server)."""

import json
import threading
import time

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from tests.api.conftest import Api
from userops.threads import events as thread_events


def _read(resp: httpx.Response, events: list, until: threading.Event) -> None:
    kind = None
    for line in resp.iter_lines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data = json.loads(line[6:])
            events.append((kind, data))
            if kind == "state" and data["status"] == "completed":
                until.set()
                return


def test_watcher_sees_progress_heartbeat_and_decision(site: tuple[str, dict[str, str]]) -> None:
    url, tokens = site
    op = {"Authorization": f"Bearer {tokens['olivia']}"}
    ap = {"Authorization": f"Bearer {tokens['ana']}"}
    assert httpx.get(f"{url}/v1/threads/f1/events").status_code == 401
    events: list = []
    done = threading.Event()
    with httpx.Client(timeout=20) as client:
        with client.stream("GET", f"{url}/v1/threads/f1/events?heartbeat=0.5", headers=ap) as resp:
            assert resp.status_code == 200
            reader = threading.Thread(target=_read, args=(resp, events, done), daemon=True)
            reader.start()
            time.sleep(1.2)  # idle: heartbeats keep the stream alive
            r = httpx.post(
                f"{url}/v1/threads",
                json={"goal": "win back", "thread_id": "f1"},
                headers=op,
                timeout=20,
            )
            aid = r.json()["approval_id"]
            r = httpx.post(
                f"{url}/v1/approvals/{aid}/decision",
                json={"decision": "approve"},
                headers=ap,
                timeout=20,
            )
            assert r.status_code == 200
            assert done.wait(20)
    kinds = [k for k, _ in events]
    assert kinds[0] == "state" and events[0][1]["status"] == "new"
    assert kinds[1] == "ping"
    statuses = [d["status"] for k, d in events if k == "state"]
    assert statuses[1:] == ["awaiting_approval", "completed"]
    nodes = [d["node"] for k, d in events if k == "progress"]
    assert "plan" in nodes and "dispatch" in nodes


def test_a_run_goes_on_when_its_events_cannot_be_recorded(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> int:
        raise OperationalError("INSERT INTO thread_events", {}, Exception("disk full"))

    monkeypatch.setattr(thread_events, "record", broken)
    r = api.client.post("/v1/threads", json={"goal": "win back"}, headers=api.auth("olivia"))
    assert r.status_code == 201 and r.json()["status"] == "awaiting_approval"
    monkeypatch.undo()
    assert thread_events.since(api.engine, {r.json()["thread_id"]: 0}) == []

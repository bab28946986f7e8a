import json

from sqlalchemy import text

from agents.runtime.locks import thread_lock
from tests.api.conftest import Api


def test_health_needs_no_auth_and_everything_else_does(api: Api) -> None:
    assert api.client.get("/health").json()["status"] == "ok"
    assert api.client.get("/v1/approvals").status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert api.client.get("/v1/threads/x", headers=bad).status_code == 401
    assert api.client.get("/metrics").status_code == 401
    m = api.client.get("/metrics", headers=api.auth("ana"))
    assert m.status_code == 200 and "userops_http_requests_total" in m.text


def test_failed_auth_is_rate_limited(api: Api) -> None:
    codes = [
        api.client.get("/v1/approvals", headers={"Authorization": f"Bearer x{i}"}).status_code
        for i in range(25)
    ]
    assert codes[0] == 401 and codes[-1] == 429
    # a good token still passes while the client is limited (tests/api/test_auth_limits.py)
    assert api.client.get("/v1/approvals", headers=api.auth("ana")).status_code == 200


def test_create_thread_runs_to_the_gate_and_audits(api: Api) -> None:
    r = api.client.post(
        "/v1/threads", json={"goal": "win back", "thread_id": "t1"}, headers=api.auth("olivia")
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "awaiting_approval" and body["approval_id"]
    assert body["interrupt"]["action_requests"][0]["name"] == "dispatch_campaign_step"
    got = api.client.get("/v1/threads/t1", headers=api.auth("ana")).json()
    assert got["approval_id"] == body["approval_id"]
    with api.engine.connect() as conn:
        actors = (
            conn.execute(text("SELECT actor FROM audit WHERE action = 'thread.message'"))
            .scalars()
            .all()
        )
    assert actors == ["olivia"]


def test_thread_roles_validation_and_missing(api: Api) -> None:
    r = api.client.post("/v1/threads", json={"goal": "win back"}, headers=api.auth("ana"))
    assert r.status_code == 403
    r = api.client.post("/v1/threads", json={"goal": ""}, headers=api.auth("olivia"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "goal"
    assert api.client.get("/v1/threads/nothing", headers=api.auth("ana")).status_code == 404


def test_second_run_on_a_thread_is_409(api: Api) -> None:
    rt = api.client.app.state.services.runtime  # type: ignore[attr-defined]
    with thread_lock("busy", rt.lock_url):
        r = api.client.post(
            "/v1/threads",
            json={"goal": "win back", "thread_id": "busy"},
            headers=api.auth("olivia"),
        )
        assert r.status_code == 409 and "already running" in r.json()["detail"]
        r = api.client.post(
            "/v1/threads/busy/stream", json={"text": "win back"}, headers=api.auth("olivia")
        )
        assert r.status_code == 409
    r = api.client.post(
        "/v1/threads", json={"goal": "win back", "thread_id": "busy"}, headers=api.auth("olivia")
    )
    assert r.status_code == 201
    approval_id = r.json()["approval_id"]
    # waiting at the gate: a new message is refused with the pending approval
    r = api.client.post(
        "/v1/threads/busy/messages", json={"text": "more"}, headers=api.auth("olivia")
    )
    assert r.status_code == 409 and r.json()["current"] == approval_id


def _events(raw: str) -> list[tuple[str, dict]]:
    out = []
    for block in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_progress_streams_over_sse(api: Api) -> None:
    with api.client.stream(
        "POST", "/v1/threads/s1/stream", json={"text": "win back"}, headers=api.auth("olivia")
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        raw = "".join(r.iter_text())
    events = _events(raw)
    nodes = [d["node"] for e, d in events if e == "progress"]
    assert len(nodes) >= 3 and "plan" in nodes
    kind, final = events[-1]
    assert kind == "state" and final["status"] == "awaiting_approval"

"""A NUL character anywhere in a request is a located 422 on PostgreSQL, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, gate

pytestmark = pytest.mark.pg

TID = "t-0123456789ab"
SPEC = {"all": [{"field": "region", "op": "=", "value": "a\x00b"}]}

# (method, path, json body or None, who, the location named in the 422)
CASES: list[tuple[str, str, Any, str, list[Any]]] = [
    ("POST", "/v1/threads", {"goal": "win\x00back"}, "olivia", ["body", "goal"]),
    ("POST", f"/v1/threads/{TID}/messages", {"text": "a\x00"}, "olivia", ["body", "text"]),
    ("POST", f"/v1/threads/{TID}/stream", {"text": "a\x00"}, "olivia", ["body", "text"]),
    ("GET", "/v1/threads/t-%00", None, "ana", ["path", "thread_id"]),
    ("GET", "/v1/threads/t-%00/events", None, "ana", ["path", "thread_id"]),
    ("GET", "/v1/approvals?campaign_id=c%00", None, "ana", ["query", "campaign_id"]),
    ("GET", "/v1/approvals/a%00", None, "ana", ["path", "approval_id"]),
    (
        "POST",
        "/v1/approvals/APPROVAL/decision",
        {"decision": "reject", "comment": "no\x00"},
        "ana",
        ["body", "comment"],
    ),  # fmt: skip
    ("GET", "/v1/campaigns/c%00", None, "ana", ["path", "campaign_id"]),
    ("GET", "/v1/campaigns/c%00/messages", None, "ana", ["path", "campaign_id"]),
    ("GET", "/v1/campaigns/CAMPAIGN/kpi?step_id=s%00", None, "ana", ["query", "step_id"]),
    ("GET", "/v1/profiles/search?q=a%00b", None, "ana", ["query", "q"]),
    ("POST", "/v1/segments/preview", SPEC, "ana", ["body", "all", 0, "value"]),
    ("PUT", "/v1/policy", {"quiet_hours\x00": 1}, "root", ["body", "quiet_hours\x00"]),
    ("GET", "/threads/t-%00", None, "ana", ["path", "thread_id"]),
    ("GET", "/threads/t-%00/state", None, "ana", ["path", "thread_id"]),
    (
        "POST",
        f"/threads/{TID}/runs/wait",
        {"assistant_id": "userops", "input": {"goal": "\x00"}},
        "olivia",
        ["body", "input", "goal"],
    ),  # fmt: skip
    (
        "POST",
        f"/threads/{TID}/runs/stream",
        {"assistant_id": "userops", "input": {"messages": [{"role": "user", "content": "a\x00"}]}},
        "olivia",
        ["body", "input", "messages", 0, "content"],
    ),  # fmt: skip
]


@pytest.mark.parametrize(("method", "path", "body", "who", "loc"), CASES)
def test_nul_is_a_located_422(
    pg_api: Api, method: str, path: str, body: Any, who: str, loc: list[Any]
) -> None:
    aid = gate(pg_api, "t-00000000000a")
    cid = pg_api.client.get(f"/v1/approvals/{aid}", headers=pg_api.auth("ana")).json()
    path = path.replace("APPROVAL", aid).replace("CAMPAIGN", cid["campaign_id"])
    r = pg_api.client.request(method, path, json=body, headers=pg_api.auth(who))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == loc


def test_nul_in_an_upload_names_its_line(pg_api: Api) -> None:
    data = b"user_id,name\n1,ok\n2,a\x00b\n"
    r = pg_api.client.post(
        "/v1/profiles/import?kind=users",
        content=data,
        headers={**pg_api.auth("olivia"), "Content-Type": "text/csv"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["message"] == "upload:3: holds a NUL character, which no store can keep"

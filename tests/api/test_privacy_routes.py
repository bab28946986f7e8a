"""Data-subject routes: admin only, 404 for unknown ids, erase scrubs the waiting thread."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import text

from tests.api.conftest import Api, gate

EXPORT = "/v1/privacy/users/{}/export"
ERASE = "/v1/privacy/users/{}/erase"


def _sample(api: Api, aid: str) -> tuple[int, str]:
    card = api.client.get(f"/v1/approvals/{aid}", headers=api.auth("ana")).json()["card"]
    user = card["previews"][0]["sample_user"]
    return int(user["user_id"]), str(user["name"])


def test_only_admins_and_only_known_ids(api: Api) -> None:
    for name in ("olivia", "ana", "bob"):
        assert api.client.get(EXPORT.format(3), headers=api.auth(name)).status_code == 403
        assert api.client.post(ERASE.format(3), headers=api.auth(name)).status_code == 403
    assert api.client.get(EXPORT.format(3)).status_code == 401
    root = api.auth("root")
    for bad in ("0", "abc", str(2**64)):
        r = api.client.get(EXPORT.format(bad), headers=root)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "user_id"]
    assert api.client.get(EXPORT.format(999_999), headers=root).status_code == 404
    assert api.client.post(ERASE.format(999_999), headers=root).status_code == 404
    doc = api.client.get(EXPORT.format(3), headers=root).json()
    assert doc["record_ids"] == [3] and doc["records"][0]["name"] == "User3"


def test_erase_scrubs_the_card_and_the_waiting_thread_which_still_resumes(api: Api) -> None:
    aid = gate(api)
    uid, name = _sample(api, aid)
    root = api.auth("root")
    doc = api.client.get(EXPORT.format(uid), headers=root).json()
    assert {(m["table"], m["column"]) for m in doc["mentions"]} >= {("approvals", "card")}
    r = api.client.post(ERASE.format(uid), headers=root)
    assert r.status_code == 200, r.text
    res: dict[str, Any] = r.json()
    assert res["status"] == "erased" and res["outside"]["checkpoint_threads"] == 1
    card = api.client.get(f"/v1/approvals/{aid}", headers=api.auth("ana")).json()["card"]
    assert card["previews"][0]["sample_user"] == {"user_id": 0, "name": "[erased]"}
    thread = api.client.get("/v1/threads/t1", headers=api.auth("olivia")).json()
    assert re.search(rf"{name}(?!\d)", json.dumps(thread, ensure_ascii=False)) is None
    again = api.client.post(ERASE.format(uid), headers=root).json()
    assert again == {**again, "status": "already_erased", "erasure_id": res["erasure_id"]}
    assert api.client.get(EXPORT.format(uid), headers=root).status_code == 404
    done = api.client.post(
        f"/v1/approvals/{aid}/decision", json={"decision": "approve"}, headers=api.auth("ana")
    )
    assert done.status_code == 200 and done.json()["thread_status"] == "completed"
    with api.engine.connect() as conn:
        actors = conn.execute(text("SELECT actor FROM audit WHERE action = 'privacy.erase'")).all()
        left = conn.execute(text("SELECT count(*) FROM users WHERE id = :u"), {"u": uid}).scalar()
    assert actors == [("root",)] and left == 0

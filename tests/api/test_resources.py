from pathlib import Path

from sqlalchemy import text

from tests.api.conftest import Api
from tests.conftest import DATA


def _completed_campaign(api: Api) -> str:
    r = api.client.post(
        "/v1/threads", json={"goal": "win back", "thread_id": "c1"}, headers=api.auth("olivia")
    )
    aid = r.json()["approval_id"]
    r = api.client.post(
        f"/v1/approvals/{aid}/decision", json={"decision": "approve"}, headers=api.auth("ana")
    )
    assert r.status_code == 200, r.text
    return str(r.json()["campaign_id"])


def test_campaign_status_messages_and_kpi(api: Api) -> None:
    cid = _completed_campaign(api)
    listed = api.client.get("/v1/campaigns", headers=api.auth("ana")).json()
    assert [c["id"] for c in listed] == [cid]
    info = api.client.get(f"/v1/campaigns/{cid}", headers=api.auth("olivia")).json()
    sent = sum(m["n"] for m in info["messages"])
    msgs = api.client.get(
        f"/v1/campaigns/{cid}/messages?limit=1000", headers=api.auth("olivia")
    ).json()
    assert len(msgs) == sent > 0 and {"phone", "email"}.isdisjoint(msgs[0])
    kpi = api.client.get(f"/v1/campaigns/{cid}/kpi?days=3", headers=api.auth("ana")).json()
    assert [p["day"] for p in kpi["series"]] == [1, 2, 3]
    first = kpi["series"][0]
    assert first["n_treatment"] + first["n_holdout"] == 30
    assert first["treatment"] > first["holdout"]  # the double converts treatment more often
    assert api.client.get("/v1/campaigns/none", headers=api.auth("ana")).status_code == 404
    r = api.client.get(f"/v1/campaigns/{cid}/kpi?metric=nope", headers=api.auth("ana"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "metric"]


def test_segment_preview_and_bad_field(api: Api) -> None:
    r = api.client.post("/v1/segments/preview", json={"all": []}, headers=api.auth("olivia"))
    assert r.status_code == 200 and r.json()["size"] >= 0
    bad = {"all": [{"field": "shoe_size", "op": "=", "value": 3}]}
    r = api.client.post("/v1/segments/preview", json=bad, headers=api.auth("olivia"))
    assert r.status_code == 422
    problem = r.json()["detail"][0]
    assert problem["field"] == "all[0].field" and problem["value"] == "shoe_size"
    assert api.client.post("/v1/segments/preview", json={"all": []}).status_code == 401


def test_import_upload_same_validation_as_cli(api: Api) -> None:
    url = "/v1/profiles/import?kind=users&format=csv"
    good = (DATA / "import" / "users.csv").read_bytes()
    assert api.client.post(url, content=good, headers=api.auth("ana")).status_code == 403
    r = api.client.post(url, content=good, headers=api.auth("olivia"))
    assert r.status_code == 200, r.text and r.json()["rows"] > 0
    bad = (DATA / "import" / "users_bad.csv").read_bytes()
    with api.engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM users")).scalar_one()
    r = api.client.post(url, content=bad, headers=api.auth("olivia"))
    assert r.status_code == 422
    problem = r.json()["detail"][0]
    assert problem["source"] == "upload" and problem["line"] and problem["field"]
    with api.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == before
    r = api.client.post("/v1/profiles/import?kind=pets", content=good, headers=api.auth("root"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "kind"]


def test_profile_search_validates_query(api: Api) -> None:
    r = api.client.get("/v1/profiles/search?q=", headers=api.auth("olivia"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "q"]


def test_policy_read_and_admin_edit_audited(api: Api, home: Path) -> None:
    pol = api.client.get("/v1/policy", headers=api.auth("olivia")).json()
    assert pol["allow_self_approval"] is False
    r = api.client.put("/v1/policy", json={"max_defer_hours": 24}, headers=api.auth("ana"))
    assert r.status_code == 403
    r = api.client.put("/v1/policy", json={"max_defer_hours": "soon"}, headers=api.auth("root"))
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "max_defer_hours"
    r = api.client.put("/v1/policy", json={"max_defer_hours": 24}, headers=api.auth("root"))
    assert r.status_code == 200 and r.json()["max_defer_hours"] == 24
    assert api.client.get("/v1/policy", headers=api.auth("ana")).json()["max_defer_hours"] == 24
    assert (home / "policy.yaml").exists()
    with api.engine.connect() as conn:
        row = conn.execute(
            text("SELECT actor, detail FROM audit WHERE action = 'policy.edit'")
        ).one()
    assert row.actor == "root" and "max_defer_hours" in str(row.detail)


def test_openapi_lists_every_resource(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    for p in (
        "/v1/threads",
        "/v1/approvals/{approval_id}/decision",
        "/v1/campaigns/{campaign_id}/kpi",
        "/v1/segments/preview",
        "/v1/profiles/import",
        "/v1/policy",
        "/threads/{thread_id}/runs/wait",
    ):
        assert p in paths

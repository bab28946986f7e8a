"""Thread and run metadata are untrusted text: at most 16,000 characters as JSON, else 422.

A 900 KB ``metadata`` was kept on a thread (and answered by every ``threads.search`` of up to
1,000 threads); ``PATCH`` merged 10,000-character keys.
"""

from __future__ import annotations

from sqlalchemy import text

from tests.api.conftest import Api

BIG = {"k": "x" * 16_001}


def _threads(api: Api) -> int:
    with api.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM lg_threads")).scalar_one())


def test_create_patch_and_run_refuse_long_metadata_and_write_nothing(api: Api) -> None:
    h = api.auth("olivia")
    r = api.client.post("/threads", json={"thread_id": "t-m", "metadata": BIG}, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["field"] == "metadata"
    assert _threads(api) == 0
    ok = {"thread_id": "t-m", "metadata": {"k": "x" * 10_000}}
    assert api.client.post("/threads", json=ok, headers=h).status_code == 200
    more = {"metadata": {"k2": "y" * 10_000}}  # each fits; merged they would not
    r = api.client.patch("/threads/t-m", json=more, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["field"] == "metadata"
    assert api.client.get("/threads/t-m", headers=h).json()["metadata"].get("k2") is None
    run = {"assistant_id": "userops", "input": {"goal": "win back"}, "metadata": BIG}
    r = api.client.post("/threads/t-m/runs/wait", json=run, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["field"] == "metadata"

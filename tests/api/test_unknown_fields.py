"""A field the /v1 routes do not know is a 422 naming it, never silently dropped."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.api.conftest import Api


@pytest.mark.parametrize(
    ("who", "path", "body", "field"),
    [
        # the operator meant to name the thread: a thread with a made-up id was started
        ("olivia", "/v1/threads", {"goal": "win back", "threadId": "mine"}, "threadId"),
        ("olivia", "/v1/threads/t1/messages", {"text": "go", "lang": "en"}, "lang"),
        ("olivia", "/v1/threads/t1/stream", {"text": "go", "lang": "en"}, "lang"),
        # a journey was proposed in zh although the operator asked for en
        ("olivia", "/v1/journeys/propose", {"goal": "注册后推送", "language": "en"}, "language"),
        # a typo of comment: the approval was recorded without the approver's reason
        ("ana", "/v1/approvals/a1/decision", {"decision": "approve", "coment": "ok"}, "coment"),
    ],
)
def test_an_unknown_field_is_a_422_naming_it_and_nothing_is_written(
    api: Api, who: str, path: str, body: dict[str, str], field: str
) -> None:
    r = api.client.post(path, json=body, headers=api.auth(who))
    assert r.status_code == 422, r.text
    assert [d["loc"] for d in r.json()["detail"]] == [["body", field]]
    with api.engine.connect() as conn:
        for table in ("approvals", "journeys"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0

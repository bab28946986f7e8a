"""A refused value is quoted back short: an error is never much larger than a line per problem."""

from __future__ import annotations

import orjson

from tests.api.conftest import Api

CLAUSE = {"field": "days_since_last_order", "op": ">=", "value": 60}


def _preview(api: Api, spec: object) -> tuple[int, bytes, dict[str, object]]:
    body = orjson.dumps(spec)
    r = api.client.post(
        "/v1/segments/preview",
        content=body,
        headers={**api.auth("olivia"), "Content-Type": "application/json"},
    )
    return r.status_code, r.content, r.json()


def test_a_huge_value_or_key_is_quoted_short_and_still_located(api: Api) -> None:
    for spec, field in [
        ({"all": [{**CLAUSE, "value": "x" * 900_000}]}, "all[0].value"),
        ({"all": [{"x" * 900_000: 1}]}, "all[0]."),  # the key itself is the field: 6.3 MB back
    ]:
        status, content, body = _preview(api, spec)
        assert status == 422
        assert len(content) < 4_000, len(content)
        detail = body["detail"]
        assert isinstance(detail, list) and detail[0]["field"].startswith(field)
        assert "…" in content.decode()


def test_twenty_thousand_problems_answer_the_first_fifty_and_the_count(api: Api) -> None:
    spec = {"all": [{**CLAUSE, "field": "nope"}] * 20_000}  # 780 KB in, was 11 MB out
    status, content, body = _preview(api, spec)
    assert status == 422
    detail = body["detail"]
    assert isinstance(detail, list) and len(detail) == 50
    assert [d["field"] for d in detail[:2]] == ["all[0].field", "all[1].field"]
    assert body["total"] == 20_000
    assert str(body["message"]).endswith("... and 19950 more")
    assert len(content) < 100_000, len(content)


def test_a_request_validation_error_is_short_too(api: Api) -> None:
    # one pydantic error per element, each quoting the whole list: 900 KB in, 36 MB out
    body = {"assistant_id": "userops", "input": {"goal": "x"}, "stream_mode": [1] * 300_000}
    r = api.client.post(
        "/threads/t-amp/runs/stream",
        content=orjson.dumps(body),
        headers={**api.auth("olivia"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert len(r.content) < 40_000, len(r.content)
    detail = r.json()["detail"]
    assert len(detail) == 50 and r.json()["total"] == 300_001
    assert detail[0]["loc"][:2] == ["body", "stream_mode"]
    goal = {"goal": "g" * 900_000}  # over the text limit: quoted short, once
    r = api.client.post("/v1/threads", json=goal, headers=api.auth("olivia"))
    assert r.status_code == 422
    assert len(r.content) < 2_000, len(r.content)
    assert r.json()["detail"][0]["loc"] == ["body", "goal"]

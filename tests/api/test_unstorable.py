"""Values no store keeps (lone surrogates, NaN, NUL) and huge CSV fields: located, never 500."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api

GOAL = "/v1/threads"


@pytest.mark.parametrize(
    ("body", "loc", "msg"),
    [
        (b'{"goal": "a\\ud800b"}', ["body", "goal"], "lone surrogate"),
        ('{"goal": "a\ud800b"}'.encode("utf-8", "surrogatepass"), ["body", "goal"], "surrogate"),
        (b'{"goal": "ok", "thread_id": "\\uDFFF"}', ["body", "thread_id"], "surrogate"),
        (b"NaN", ["body"], "not a finite number"),
        (b'{"goal": "ok", "x": [1, -Infinity]}', ["body", "x", 1], "not a finite number"),
        (b'{"goal": "a\\u0000"}', ["body", "goal"], "NUL"),
    ],
    ids=["escaped", "raw-bytes", "upper-hex", "nan", "infinity", "nul"],
)
def test_unstorable_json_is_a_located_422(
    api: Api, body: bytes, loc: list[object], msg: str
) -> None:
    headers = {**api.auth("olivia"), "Content-Type": "application/json"}
    r = api.client.post(GOAL, content=body, headers=headers)
    assert r.status_code == 422, r.text
    problem = r.json()["detail"][0]
    assert problem["loc"] == loc and msg in problem["msg"]


def test_a_valid_surrogate_pair_passes(api: Api) -> None:
    r = api.client.post(GOAL, content=b'{"goal": "\\ud83d\\ude00 win back"}', headers={
        **api.auth("olivia"), "Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 201, r.text


def test_a_huge_csv_field_is_a_located_problem(api: Api) -> None:
    data = ("user_id,name\n1," + "n" * 300_000 + "\n").encode()
    r = api.client.post(
        "/v1/profiles/import?kind=users",
        content=data,
        headers={**api.auth("olivia"), "Content-Type": "text/csv"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["message"].startswith("upload:2 name=")
    assert "longer than 200 characters" in r.json()["message"]


def test_a_huge_header_is_quoted_short(api: Api) -> None:
    r = api.client.post(
        "/v1/profiles/import?kind=users",
        content=b"a" * 1_000_000,
        headers={**api.auth("olivia"), "Content-Type": "text/csv"},
    )
    assert r.status_code == 422, r.text
    assert len(r.content) < 2_000

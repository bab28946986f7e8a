"""An import upload the route cannot read as the file is a 422 saying why, not a CSV error.

A gzip body was read as CSV text ("holds a NUL character" on line 1, then every line); a
multipart form (``curl -F file=@users.csv``) as a header "missing required column (header:
--boundary)"; JSONL sent as ``application/x-ndjson`` without ``format=jsonl`` as a CSV header.
"""

from __future__ import annotations

import gzip

import pytest
from sqlalchemy import text

from tests.api.conftest import Api

CSV = b"user_id,name\nz1,Li\n"
JSONL = b'{"user_id": "z1", "name": "Li"}\n'


@pytest.mark.parametrize(
    ("query", "content", "headers", "field"),
    [
        (
            "",
            gzip.compress(CSV),
            {"Content-Type": "text/csv", "Content-Encoding": "gzip"},
            "Content-Encoding",
        ),
        (
            "",
            b"--b\r\n" + CSV + b"--b--\r\n",
            {"Content-Type": "multipart/form-data; boundary=b"},
            "Content-Type",
        ),
        ("", JSONL, {"Content-Type": "application/x-ndjson"}, "format"),
        ("&format=jsonl", CSV, {"Content-Type": "text/csv"}, "format"),
    ],
)
def test_an_upload_not_sent_as_the_file_is_a_422_naming_why(
    api: Api, query: str, content: bytes, headers: dict[str, str], field: str
) -> None:
    r = api.client.post(
        f"/v1/profiles/import?kind=users{query}",
        content=content,
        headers={**api.auth("olivia"), **headers},
    )
    assert r.status_code == 422, r.text
    assert [d["field"] for d in r.json()["detail"]] == [field]
    with api.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM users WHERE external_id = 'z1'")).scalar() == 0
        )


@pytest.mark.parametrize(
    ("query", "content", "ctype"),
    [
        ("", CSV, "text/csv"),
        ("", CSV, "application/octet-stream"),
        ("&format=jsonl", JSONL, "application/x-ndjson"),
        ("&format=jsonl", JSONL, "application/json"),
    ],
)
def test_the_file_as_the_body_is_imported(api: Api, query: str, content: bytes, ctype: str) -> None:
    r = api.client.post(
        f"/v1/profiles/import?kind=users{query}",
        content=content,
        headers={**api.auth("olivia"), "Content-Type": ctype},
    )
    assert r.status_code == 200, r.text
    assert r.json()["inserted"] == 1

"""Segment's limits on the ingest routes: located 400s under the request guard's 1 MiB.

Segment refuses a batch over 500 KB and an event over 32 KB; here both are located 400s
(the event's index in a batch, whose other messages are stored). Only a body over the
guard's limit (``USEROPS_MAX_BODY_BYTES``, 1 MiB by default) is the guard's 413.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.cdp.stream.support import rows
from userops.api.app import create_app
from userops.cdp.stream.sources import add_source
from userops.cdp.stream.spec import MAX_BATCH_BYTES, MAX_EVENT_BYTES
from userops.settings import Settings

MIB = 1024 * 1024


@pytest.fixture
def client(sqlite_engine: Engine, home: Path) -> Iterator[TestClient]:
    _, key = add_source(sqlite_engine, "web", "web")
    settings = Settings(home=home, embedding="hashing")
    assert settings.max_body_bytes == MIB
    app = create_app(settings, engine=sqlite_engine, recover=False)
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    yield TestClient(app, headers={"Authorization": auth, "Content-Type": "application/json"})


def _track(i: int, pad: int = 0) -> dict[str, Any]:
    props = {"pad": "x" * pad} if pad else {}
    return {"type": "track", "userId": f"u{i}", "event": "E", "messageId": f"m{i}",
            "properties": props}  # fmt: skip


def _batch(*messages: dict[str, Any]) -> bytes:
    return orjson.dumps({"batch": list(messages)})


def test_an_event_over_32_kb_is_refused_at_its_index_and_the_others_stored(
    client: TestClient, sqlite_engine: Engine
) -> None:
    body = _batch(_track(0), _track(1, MAX_EVENT_BYTES), _track(2))
    assert MAX_EVENT_BYTES < len(body) < MAX_BATCH_BYTES
    r = client.post("/v1/batch", content=body)
    assert r.status_code == 400, r.text
    got = r.json()
    assert (got["stored"], got["rejected"]) == (2, 1)
    assert [(e["index"], e["field"]) for e in got["errors"]] == [(1, "batch[1]")]
    assert "32 KB" in got["errors"][0]["reason"]
    assert len(rows(sqlite_engine, "events")) == 2
    r = client.post("/v1/track", content=orjson.dumps(_track(3, MAX_EVENT_BYTES)))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_batch_over_500_kb_under_1_mib_is_a_located_400(
    client: TestClient, sqlite_engine: Engine, gzipped: bool
) -> None:
    body = _batch(*(_track(i, 20_000) for i in range(40)))  # every message under 32 KB
    assert MAX_BATCH_BYTES < len(body) < MIB
    headers = {"Content-Encoding": "gzip"} if gzipped else {}
    r = client.post("/v1/batch", content=gzip.compress(body) if gzipped else body, headers=headers)
    assert r.status_code == 400, r.text
    assert [(e["index"], e["field"]) for e in r.json()["errors"]] == [(None, "body")]
    assert "500 KB" in r.json()["errors"][0]["reason"]
    assert rows(sqlite_engine, "events") == []


def test_a_body_over_1_mib_is_the_guards_413(client: TestClient, sqlite_engine: Engine) -> None:
    body = _batch(*(_track(i, 20_000) for i in range(60)))
    assert len(body) > MIB
    r = client.post("/v1/batch", content=body)
    assert r.status_code == 413 and "larger than 1048576 bytes" in r.json()["detail"]
    assert rows(sqlite_engine, "events") == []

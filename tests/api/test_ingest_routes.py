"""The Segment-compatible routes: Basic auth with a write key, located 400s, gzip, limits."""

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
from userops.cdp.stream.sources import add_source, revoke_source
from userops.settings import Settings


def _basic(key: str, password: str = "") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{password}".encode()).decode()}


@pytest.fixture
def client(sqlite_engine: Engine, home: Path) -> Iterator[tuple[TestClient, str]]:
    _, key = add_source(sqlite_engine, "web", "web")
    app = create_app(Settings(home=home, embedding="hashing"), engine=sqlite_engine, recover=False)
    yield TestClient(app), key  # no lifespan: these routes need no agent loop


def _track(**kw: Any) -> dict[str, Any]:
    return {"userId": "u1", "event": "Video Played", "messageId": "m1", **kw}


def test_write_key_as_basic_user_or_in_the_body(
    client: tuple[TestClient, str], sqlite_engine: Engine
) -> None:
    c, key = client
    r = c.post("/v1/track", json=_track(), headers=_basic(key))
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True, "received": 1, "stored": 1, "duplicates": 0}
    r = c.post("/v1/track", json=_track(messageId="m2", writeKey=key))
    assert r.status_code == 200 and r.json()["stored"] == 1
    assert len(rows(sqlite_engine, "events")) == 2


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wk_nope"},
        {"Authorization": "Basic !!!"},
        _basic("wk_unknown"),
    ],
)
def test_missing_or_unknown_keys_are_refused(
    client: tuple[TestClient, str], sqlite_engine: Engine, headers: dict[str, str]
) -> None:
    c, _ = client
    r = c.post("/v1/batch", json={"batch": [{"type": "track", **_track()}]}, headers=headers)
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    assert r.headers["www-authenticate"].startswith("Basic")
    assert rows(sqlite_engine, "events") == []


def test_a_revoked_key_is_refused(client: tuple[TestClient, str], sqlite_engine: Engine) -> None:
    c, _ = client
    _, key = add_source(sqlite_engine, "old-app")
    revoke_source(sqlite_engine, "old-app")
    assert c.post("/v1/track", json=_track(), headers=_basic(key)).status_code == 401


def test_every_call_has_its_route(client: tuple[TestClient, str], sqlite_engine: Engine) -> None:
    c, key = client
    calls = {
        "identify": {"userId": "u1", "traits": {"email": "a@b.cn"}},
        "track": _track(messageId=None),
        "page": {"userId": "u1", "name": "Home"},
        "screen": {"anonymousId": "a1", "name": "Cart"},
        "group": {"userId": "u1", "groupId": "g1"},
        "alias": {"previousId": "a1", "userId": "u1"},
    }
    for kind, body in calls.items():
        r = c.post(f"/v1/{kind}", json=body, headers=_basic(key))
        assert r.status_code == 200 and r.json()["stored"] == 1, (kind, r.text)
    types = sorted(e["type"] for e in rows(sqlite_engine, "events"))
    assert types == ["custom", "custom", "page_view", "page_view"]
    assert {m["type"] for m in rows(sqlite_engine, "ingest_messages")} == {"identify", "alias"}


def test_a_bad_event_is_located_and_the_good_ones_are_stored(
    client: tuple[TestClient, str], sqlite_engine: Engine
) -> None:
    c, key = client
    batch = {
        "batch": [
            {"type": "track", **_track()},
            {"type": "track", **_track(messageId="m2", timestamp="tuesday")},
            {"type": "page", "messageId": "m3"},
            {"type": "track", **_track(messageId="m4")},
        ]
    }
    r = c.post("/v1/batch", json=batch, headers=_basic(key))
    assert r.status_code == 400
    body = r.json()
    assert (body["success"], body["received"], body["stored"], body["rejected"]) == (False, 4, 2, 2)
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (1, "batch[1].timestamp"),
        (2, "batch[2].userId"),
    ]
    assert sorted(e["dedupe_key"] is not None for e in rows(sqlite_engine, "events")) == [
        True,
        True,
    ]


@pytest.mark.parametrize(
    ("path", "content", "headers", "field"),
    [
        ("/v1/batch", b'{"batch": [', {}, "body"),
        ("/v1/batch", b'{"batch": {}}', {}, "batch"),
        ("/v1/track", orjson.dumps(_track(type="page")), {}, "type"),
        ("/v1/track", orjson.dumps(_track(properties={"x": "y" * 33_000})), {}, "body"),
        ("/v1/batch", b'{"batch": [], "pad": "' + b"x" * 600_000 + b'"}', {}, "body"),
        ("/v1/batch", b"\x1f\x8b not gzip", {"Content-Encoding": "gzip"}, "body"),
        (
            "/v1/identify",
            orjson.dumps({"userId": "u", "traits": {"phone": "1"}}),
            {},
            "traits.phone",
        ),
    ],
)
def test_limits_and_malformed_bodies_are_located_400s_and_write_nothing(
    client: tuple[TestClient, str],
    sqlite_engine: Engine,
    path: str,
    content: bytes,
    headers: dict[str, str],
    field: str,
) -> None:
    c, key = client
    r = c.post(path, content=content, headers={**_basic(key), **headers})
    assert r.status_code == 400, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert rows(sqlite_engine, "events") == [] and rows(sqlite_engine, "users") == []


def test_gzip_batches_are_read(client: tuple[TestClient, str], sqlite_engine: Engine) -> None:
    c, key = client
    body = gzip.compress(orjson.dumps({"batch": [{"type": "track", **_track()}]}))
    r = c.post("/v1/batch", content=body, headers={**_basic(key), "Content-Encoding": "gzip"})
    assert r.status_code == 200 and r.json()["stored"] == 1


def test_traits_follow_the_events_after_the_answer(
    client: tuple[TestClient, str], sqlite_engine: Engine
) -> None:
    from tests.cdp.stream.support import canonical, send, sender
    from userops.cdp.stream.profiles import updates_for
    from userops.cdp.traits.build import build_profiles

    c, key = client
    order = {"type": "track", "event": "Order Completed", "properties": {"total": 30}}
    crm = sender(sqlite_engine, "crm")
    send(sqlite_engine, crm, *({**order, "userId": f"u{i}", "timestamp": "2026-11-01T10:00:00Z"}
                                for i in range(12)))  # fmt: skip
    build_profiles(sqlite_engine)  # the population incremental updates score against

    def orders(uid: int) -> int:
        got = rows(sqlite_engine, "traits", f"WHERE user_id = {uid}")
        return int(got[0]["orders_total"]) if got else 0

    u3 = canonical(sqlite_engine, "u3")
    assert orders(u3) == 1
    r = c.post(
        "/v1/track",
        json={**order, "userId": "u3", "timestamp": "2026-11-20T10:00:00Z"},
        headers=_basic(key),
    )
    assert r.status_code == 200
    assert updates_for(sqlite_engine).wait_idle(20)
    assert orders(u3) == 2
    r = c.post("/v1/page", json={"userId": "newbie", "name": "Home"}, headers=_basic(key))
    assert updates_for(sqlite_engine).wait_idle(20)
    assert rows(sqlite_engine, "traits", f"WHERE user_id = {canonical(sqlite_engine, 'newbie')}")


@pytest.mark.parametrize(
    ("value", "reason"),
    [(b'"a\\u0000b"', "NUL"), (b'"a\\ud800b"', "lone surrogate"), (b"NaN", "finite")],
)
def test_an_unstorable_value_refuses_its_message_not_the_batch(
    client: tuple[TestClient, str], sqlite_engine: Engine, value: bytes, reason: str
) -> None:
    c, key = client
    good = [orjson.dumps({"type": "track", **_track(messageId=m)}) for m in ("m1", "m3")]
    bad = b'{"type": "track", "userId": "u2", "event": "E", "properties": {"note": %s}}' % value
    body = b'{"batch": [%s, %s, %s]}' % (good[0], bad, good[1])
    r = c.post(
        "/v1/batch", content=body, headers={**_basic(key), "Content-Type": "application/json"}
    )
    assert r.status_code == 400, r.text  # the request guard's 422 refused all three
    got = r.json()
    assert (got["received"], got["stored"], got["rejected"]) == (3, 2, 1)
    assert [(e["index"], e["field"]) for e in got["errors"]] == [(1, "batch[1].properties.note")]
    assert reason in got["errors"][0]["reason"]
    assert len(rows(sqlite_engine, "events")) == 2
    r = c.post("/v1/track", content=bad, headers=_basic(key))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "properties.note"


def test_the_guard_leaves_exactly_the_ingest_routes_to_their_own_checks(
    client: tuple[TestClient, str],
) -> None:
    from userops.api.routes import ingest

    c, _ = client
    assert set(ingest.PATHS) == {r.path for r in ingest.router.routes}  # type: ignore[attr-defined]
    r = c.post(
        "/v1/threads", content=b'{"goal": "a\\u0000"}', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "goal"]


def test_traits_a_killed_server_left_due_are_applied_at_start_up(
    client: tuple[TestClient, str],
    sqlite_engine: Engine,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.agents.loop_doubles import make_deps
    from tests.cdp.stream.support import ORDER, orders_total, with_population
    from userops.cdp.stream.profiles import ProfileUpdates, updates_for
    from userops.cdp.traits.due import pending

    c, key = client
    with_population(sqlite_engine)
    monkeypatch.setattr(ProfileUpdates, "wake", lambda _self: None)  # dies before the update
    order = {**ORDER, "userId": "u3", "timestamp": "2026-11-20T10:00:00Z"}
    assert c.post("/v1/track", json=order, headers=_basic(key)).status_code == 200
    assert orders_total(sqlite_engine, "u3") == 1 and pending(sqlite_engine) == 1
    monkeypatch.undo()
    settings = Settings(home=home, embedding="hashing")
    app = create_app(settings, engine=sqlite_engine, loop_deps=make_deps(sqlite_engine))
    with TestClient(app):  # the restarted server's start-up
        assert updates_for(sqlite_engine).wait_idle(20)
        assert orders_total(sqlite_engine, "u3") == 2 and pending(sqlite_engine) == 0


@pytest.mark.parametrize(
    ("props", "field"),
    [
        ({"revenue": 1, "quantity": 2**63}, "properties.quantity"),  # was a 500 (OverflowError)
        ({"products": [{"price": 1, "quantity": 1e300}]}, "properties.products[0].quantity"),
        ({"revenue": 1.7e308}, "properties.revenue"),  # summed to Infinity in monetary_365d
        ({"products": [{"price": 1e300}]}, "properties.products[0].price"),
        ({"products": [{"price": 9e14, "quantity": 10**8}]}, "properties.products"),
    ],
)
def test_amounts_and_quantities_out_of_range_are_located_400s(
    client: tuple[TestClient, str], sqlite_engine: Engine, props: dict[str, Any], field: str
) -> None:
    c, key = client
    body = {"batch": [{"type": "track", **_track(event="Order Completed", properties=props)}]}
    r = c.post("/v1/batch", content=orjson.dumps(body), headers=_basic(key))
    assert r.status_code == 400, r.text
    assert [e["field"] for e in r.json()["errors"]] == [f"batch[0].{field}"]
    assert "out of range" in r.json()["errors"][0]["reason"]
    assert rows(sqlite_engine, "events") == []

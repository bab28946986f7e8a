"""Without a token only the documented public paths answer, and they carry no data.

Walks every route of the app, so a new route is covered without editing this test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import Route

from tests.api.conftest import Api
from userops.api.limiter import FailureLimiter

PUBLIC = {"/health", "/ok", "/", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
"""The API description and liveness (docs/api.md, "Public paths")."""
WEB_PUBLIC = {
    "/ui/login": (200, 401),  # the sign-in page; a post without a valid token is its 401 page
    "/ui/logout": (303,),
    "/ui/static/{name}": (404,),  # only app.css and app.js exist
    "/ui/lang/{lang}": (404,),  # only zh and en
}
"""The web app's pages without a session: these answer; every other /ui page sends the
browser to the login page (303), showing nothing (docs/web.md)."""
SELF_SIGNED = {"/unsubscribe/{token}"}
"""Public paths whose URL carries its own proof (a signed token): a made-up one is a 400."""


def _routes(routes: list[Any]) -> Iterator[Route]:
    for r in routes:
        inner = getattr(r, "original_router", None)  # FastAPI's included routers
        if inner is not None:
            yield from _routes(inner.routes)
        elif isinstance(r, APIRoute | Route):
            yield r


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def test_every_route_but_the_public_ones_refuses_a_missing_token(api: Api) -> None:
    r = api.client.post("/v1/threads", json={"goal": "win back"}, headers=api.auth("olivia"))
    assert r.status_code == 201
    made = r.json()
    secrets = [*api.tokens.values(), made["thread_id"], made["approval_id"], "olivia", "User1"]
    services = api.client.app.state.services  # type: ignore[attr-defined]
    services.limiter = FailureLimiter(api.engine, limit=10_000)  # many refusals: no 429 here
    seen = set()
    for route in _routes(api.client.app.routes):  # type: ignore[attr-defined]
        for method in sorted(route.methods or {"GET"}):
            if method == "HEAD":
                continue
            path = _concrete(route.path)
            resp = api.client.request(method, path, json={}, follow_redirects=False)
            seen.add(route.path)
            if route.path in SELF_SIGNED:
                assert resp.status_code == 400, (method, path, resp.status_code)
                leaked = [s for s in secrets if s and s in resp.text]
                assert not leaked, (method, path, leaked)
            elif route.path.startswith("/ui"):
                if route.path in WEB_PUBLIC:
                    assert resp.status_code in WEB_PUBLIC[route.path], (method, path)
                else:
                    assert resp.status_code == 303, (method, path, resp.status_code)
                    assert resp.headers["location"].startswith("/ui/login?next=%2Fui")
                leaked = [s for s in secrets if s and s in resp.text]
                assert not leaked, (method, path, leaked)
            elif route.path in PUBLIC:
                assert resp.status_code in (200, 307), (method, path, resp.status_code)
                leaked = [s for s in secrets if s and s in resp.text]
                assert not leaked, (method, path, leaked)
            else:
                assert resp.status_code == 401, (method, path, resp.status_code, resp.text[:200])
    assert PUBLIC | SELF_SIGNED | set(WEB_PUBLIC) | {"/ui", "/ui/inbox"} <= seen
    assert {"/v1/callbacks/sms/reply", "/v1/callbacks/call"} <= seen  # 401 without proof
    assert {"/v1/approvals", "/v1/threads/{thread_id}/events", "/metrics"} <= seen

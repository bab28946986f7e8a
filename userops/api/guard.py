r"""The request guard: every request passes here before routing, parsing or authentication.

* A body larger than ``Settings.max_body_bytes`` (or a route's own upload limit) is answered
  413 at once: on its ``Content-Length`` before a byte is read, or, when the length is not
  given, as soon as the bytes read pass the limit. Nothing is parsed.
* A NUL character in the path, a query parameter or a JSON body (``\u0000``), and in a JSON
  body a lone surrogate (``\ud800``) or NaN/Infinity, is answered 422 naming where it is
  (``["path", "thread_id"]``, ``["query", "q"]``, ``["body", "goal"]``): no store can keep
  such a value (PostgreSQL refuses NUL, UTF-8 refuses lone surrogates), no JSON answer can
  quote it back, and no route needs it. The one exception is explicit: the routes given as
  ``own_checks`` (the Segment ingest routes) refuse such values themselves, in the message
  that holds them, so that one bad event does not take the good ones of its batch with it
  (docs/ingest.md). Size limits and the path and query checks apply to them all the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from userops.text_limits import find_unstorable, shown, string_problem

SUSPECT = (b"\\u0000", b"\\ud", b"\\uD", b"NaN", b"Infinity")
"""What a JSON body holds before it can hold a value no store keeps (cheap to look for)."""


def _problem(loc: list[Any], reason: str, value: Any) -> JSONResponse:
    detail = [{"type": "unstorable", "loc": loc, "msg": reason, "input": shown(value)}]
    return JSONResponse({"detail": detail}, status_code=422)


class RequestGuard:
    """ASGI middleware: body size limits (413) and unstorable values (422), before the app."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        templates: Callable[[], Iterable[str]],
        max_body: int,
        uploads: Mapping[str, int] | None = None,
        own_checks: Collection[str] = (),
    ) -> None:
        self.app = app
        self.templates = templates
        """The path templates of the routes (``/v1/threads/{thread_id}``...)."""
        self.max_body = max_body
        self.uploads = dict(uploads or {})
        """Path -> body limit of the routes that take a file upload."""
        self.own_checks = frozenset(own_checks)
        """Paths whose route refuses unstorable JSON values itself (per message)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request; pass it on (its body replayed) or answer it here."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.uploads.get(scope["path"], self.max_body)
        refused = self._url_problem(scope) or self._declared_too_large(scope, limit)
        if refused is not None:
            await refused(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left before sending its body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(limit)(scope, receive, send)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        own = scope["path"] in self.uploads or scope["path"] in self.own_checks
        bad = None if own else _json_problem(body)
        if bad is not None:
            await bad(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _url_problem(self, scope: Scope) -> JSONResponse | None:
        if (problem := string_problem(scope["path"])) is not None:
            return _problem(["path", *self._path_param(scope)], problem, scope["path"])
        if b"%00" in scope["query_string"] or b"\x00" in scope["query_string"]:
            for key, value in QueryParams(scope["query_string"]).multi_items():
                if (problem := string_problem(key + value)) is not None:
                    return _problem(["query", key], problem, value)
        return None

    def _path_param(self, scope: Scope) -> list[str]:
        """The name of the path parameter holding the bad value (from the routes' templates)."""
        parts = scope["path"].split("/")
        for template in self.templates():
            names = _bad_params(template.split("/"), parts)
            if names:
                return names[:1]
        return []

    @staticmethod
    def _declared_too_large(scope: Scope, limit: int) -> JSONResponse | None:
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                return _too_large(limit)
        return None


def _bad_params(template: list[str], parts: list[str]) -> list[str]:
    """The parameters of ``template`` whose value in ``parts`` no store keeps (or none)."""
    if len(template) != len(parts):
        return []
    names = []
    for t, p in zip(template, parts, strict=True):
        if t.startswith("{") and t.endswith("}"):
            if string_problem(p) is not None:
                names.append(t[1:-1].split(":")[0])
        elif t != p:
            return []
    return names


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse(
        {"detail": f"request body larger than {limit} bytes"},
        status_code=413,
        headers={"Connection": "close"},
    )


def _json_problem(body: bytes) -> JSONResponse | None:
    r"""A 422 for a JSON body holding a NUL, a lone surrogate, NaN or an infinity, or None.

    Bodies without a suspect token (most) are not parsed here. Lone surrogates arrive as
    ``\ud800`` escapes or as their raw (invalid UTF-8) bytes, which FastAPI decodes too.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = body.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return None  # not text: the route answers it
    else:
        if not any(s in body for s in SUSPECT):
            return None
    try:  # the parser FastAPI uses: it keeps NaN and lone surrogates
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None  # not JSON (or not parseable here): the route answers it
    found = find_unstorable(data)
    return None if found is None else _problem(["body", *found[0]], found[1], found[2])


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the app the body read here, then the client's messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay

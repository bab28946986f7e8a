"""Segment-compatible ingestion: ``POST /v1/track|identify|page|screen|group|alias|batch``.

Authenticated as Segment's libraries do: HTTP Basic with the source's write key as the user
name and an empty password (or ``writeKey`` in the JSON body). The answer comes after the
commit: 200 ``{"success": true, ...}``; 400 with located errors (the good messages of a
batch are stored all the same); 401 for a missing, unknown or revoked key; 503 (retryable)
when the store could not commit. Field semantics and limits: docs/ingest.md.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from userops.api.deps import Services
from userops.cdp.stream.accept import Refused
from userops.cdp.stream.batch import Outcome, ingest
from userops.cdp.stream.profiles import updates_for
from userops.cdp.stream.sources import KeyCache, Sender
from userops.errors import NotRecorded
from userops.text_limits import string_problem

router = APIRouter(tags=["ingest"])
PATHS = tuple(
    f"/v1/{k}" for k in ("batch", "track", "identify", "page", "screen", "group", "alias")
)
"""The routes here: they refuse NUL, lone surrogates and NaN per message (the request guard
leaves these bodies to them: ``RequestGuard.own_checks``)."""
_keys = KeyCache()
_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
        "description": "A Segment message (or {batch: [...]}); see docs/ingest.md.",
    }
}


def _json(status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status, headers, media_type="application/json")


def _basic_key(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


def _body_key(body: bytes, encoding: str | None) -> str | None:
    """``writeKey`` of the JSON body (Segment accepts it there too), or None."""
    from userops.cdp.stream.accept import decode

    try:
        data = decode(body, encoding).data
    except Refused:
        return None
    key = data.get("writeKey") if isinstance(data, dict) else None
    return key if isinstance(key, str) and string_problem(key) is None else None


def _unauthorized() -> Response:
    return _json(
        401,
        {
            "success": False,
            "code": "unauthorized",
            "message": "missing, unknown or revoked write key",
        },
        {"WWW-Authenticate": 'Basic realm="userops ingest"'},
    )


def _refused(exc: Refused) -> Response:
    r = exc.rejection
    data = {
        "success": False,
        "code": "invalid_request",
        "message": f"{r.field}: {r.reason}; nothing was stored",
        "received": 0,
        "stored": 0,
        "rejected": 1,
        "errors": [r.to_dict()],
    }
    return _json(400, data)


async def _handle(request: Request, kind: str) -> Response:
    services: Services = request.app.state.services
    body = await request.body()
    encoding = request.headers.get("content-encoding")
    key = _basic_key(request.headers.get("authorization"))
    if key is None:
        key = await run_in_threadpool(_body_key, body, encoding)
    sender: Sender | None = None
    if key is not None:
        sender = _keys.cached(key) or await run_in_threadpool(_keys.get, services.engine, key)
    if sender is None:
        return _unauthorized()
    try:
        out: Outcome = await run_in_threadpool(
            ingest, services.engine, sender, body, kind=kind, encoding=encoding
        )
    except Refused as exc:
        return _refused(exc)
    except NotRecorded as exc:
        data = {"success": False, "code": "not_recorded", "message": str(exc), "retryable": True}
        return _json(503, data, {"Retry-After": "5"})
    if out.stored:  # their traits follow, after the answer (userops.cdp.stream.profiles)
        updates_for(services.engine).wake()
    return _json(400 if out.rejected else 200, out.to_dict())


@router.post("/v1/batch", openapi_extra=_BODY_DOC, summary="Segment batch (up to 500 KB)")
async def batch(request: Request) -> Response:
    """Store a batch of Segment messages; each bad one is reported, the good ones stored."""
    return await _handle(request, "batch")


@router.post("/v1/track", openapi_extra=_BODY_DOC, summary="Segment track")
async def track(request: Request) -> Response:
    """Store one track event."""
    return await _handle(request, "track")


@router.post("/v1/identify", openapi_extra=_BODY_DOC, summary="Segment identify")
async def identify(request: Request) -> Response:
    """Apply one identify (traits, identities, consents)."""
    return await _handle(request, "identify")


@router.post("/v1/page", openapi_extra=_BODY_DOC, summary="Segment page")
async def page(request: Request) -> Response:
    """Store one page view."""
    return await _handle(request, "page")


@router.post("/v1/screen", openapi_extra=_BODY_DOC, summary="Segment screen")
async def screen(request: Request) -> Response:
    """Store one screen view."""
    return await _handle(request, "screen")


@router.post("/v1/group", openapi_extra=_BODY_DOC, summary="Segment group")
async def group(request: Request) -> Response:
    """Store one group call."""
    return await _handle(request, "group")


@router.post("/v1/alias", openapi_extra=_BODY_DOC, summary="Segment alias")
async def alias(request: Request) -> Response:
    """Link a previous id to a user id."""
    return await _handle(request, "alias")

"""Map userops errors to HTTP answers: 422 naming the field, 409 with the current value, 503."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from userops.errors import (
    SHOWN_CHARS,
    SHOWN_PROBLEMS,
    BadInput,
    Conflict,
    ModelUnavailable,
    NotFound,
    NotRecorded,
    PolicyRefused,
    UsageError,
    clip,
)

MODEL_RETRY_AFTER_S = 30
"""``Retry-After`` sent when the chat model is unavailable (the SDK's own retries are spent)."""


def _miswired(handler: str, exc: Exception) -> UsageError:
    return UsageError(f"{handler} got {type(exc).__name__}, not the error it is installed for")


def _shown(value: Any) -> Any:
    if isinstance(value, bool | int | float) or value is None:
        return value
    return clip(value if isinstance(value, str) else str(value))


def problem_list(exc: BadInput) -> list[dict[str, Any]]:
    """The first located problems of ``exc`` as JSON (``loc`` from ``body``, field, value...).

    At most :data:`SHOWN_PROBLEMS`, long values and field names quoted short (``clip``), so
    the answer stays about a line per problem whatever the request held.
    """
    out = []
    for p in exc.problems[:SHOWN_PROBLEMS]:
        field = None if p.field is None else clip(p.field)
        out.append(
            {
                "loc": ["body", *(field.split(".") if field else [])],
                "field": field,
                "value": _shown(p.value),
                "source": p.source,
                "line": p.line,
                "msg": clip(p.reason, 4 * SHOWN_CHARS),
            }
        )
    return out


def problem_total(exc: BadInput) -> int:
    """How many problems ``exc`` found (more than :func:`problem_list` shows, at times)."""
    return exc.total if exc.total is not None else len(exc.problems)


async def _bad_input(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, BadInput):  # Starlette types every handler for Exception
        raise _miswired("_bad_input", exc)
    body = {"detail": problem_list(exc), "message": exc.render(), "total": problem_total(exc)}
    return JSONResponse(body, status_code=422)


def _short(value: Any) -> Any:
    """A value as quoted in a 422: scalars as they are, anything long cut (``clip``)."""
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, str):
        return clip(value)
    shown = jsonable_encoder(value)
    text = json.dumps(shown, ensure_ascii=False, default=str)
    return shown if len(text) <= SHOWN_CHARS else clip(text)


async def _request_invalid(_: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 with the first :data:`SHOWN_PROBLEMS` errors, inputs quoted short."""
    if not isinstance(exc, RequestValidationError):  # Starlette types every handler so
        raise _miswired("_request_invalid", exc)
    errors = exc.errors()
    detail = []
    for e in errors[:SHOWN_PROBLEMS]:
        item = {k: v for k, v in e.items() if k not in ("input", "ctx", "url")}
        if "input" in e:
            item["input"] = _short(e["input"])
        if "ctx" in e:
            item["ctx"] = {k: _short(v) for k, v in e["ctx"].items()}
        detail.append(item)
    body = {"detail": jsonable_encoder(detail), "total": len(errors)}
    return JSONResponse(body, status_code=422)


async def _conflict(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, Conflict):  # Starlette types every handler for Exception
        raise _miswired("_conflict", exc)
    return JSONResponse({"detail": str(exc), "current": exc.current}, status_code=409)


async def _not_found(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=404)


async def _refused(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, PolicyRefused):  # Starlette types every handler for Exception
        raise _miswired("_refused", exc)
    return JSONResponse({"detail": str(exc), "reason": exc.reason}, status_code=403)


async def _usage(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=400)


async def _model_down(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": str(exc), "retryable": True},
        status_code=503,
        headers={"Retry-After": str(MODEL_RETRY_AFTER_S)},
    )


async def _not_recorded(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": str(exc), "retryable": True}, status_code=503, headers={"Retry-After": "5"}
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the userops error handlers on ``app``."""
    app.add_exception_handler(BadInput, _bad_input)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(Conflict, _conflict)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(PolicyRefused, _refused)
    app.add_exception_handler(UsageError, _usage)
    app.add_exception_handler(ModelUnavailable, _model_down)
    app.add_exception_handler(NotRecorded, _not_recorded)

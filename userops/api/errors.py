"""Map userops errors to HTTP answers: 422 naming the field, 409 with the current value, 503."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from userops.errors import (
    BadInput,
    Conflict,
    ModelUnavailable,
    NotFound,
    NotRecorded,
    PolicyRefused,
    UsageError,
)

MODEL_RETRY_AFTER_S = 30
"""``Retry-After`` sent when the chat model is unavailable (the SDK's own retries are spent)."""


def _miswired(handler: str, exc: Exception) -> UsageError:
    return UsageError(f"{handler} got {type(exc).__name__}, not the error it is installed for")


def problem_list(exc: BadInput) -> list[dict[str, Any]]:
    """The located problems of ``exc`` as JSON (``loc`` from ``body``, field, value...)."""
    return [
        {
            "loc": ["body", *(p.field.split(".") if p.field else [])],
            "field": p.field,
            "value": p.value if isinstance(p.value, str | int | float | bool) else str(p.value),
            "source": p.source,
            "line": p.line,
            "msg": p.reason,
        }
        for p in exc.problems
    ]


async def _bad_input(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, BadInput):  # Starlette types every handler for Exception
        raise _miswired("_bad_input", exc)
    return JSONResponse({"detail": problem_list(exc), "message": exc.render()}, status_code=422)


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
    app.add_exception_handler(Conflict, _conflict)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(PolicyRefused, _refused)
    app.add_exception_handler(UsageError, _usage)
    app.add_exception_handler(ModelUnavailable, _model_down)
    app.add_exception_handler(NotRecorded, _not_recorded)

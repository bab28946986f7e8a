"""Errors said in the reader's language: a short line by kind, the system's detail below it."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from userops.api.web import pick_language, render, translator
from userops.errors import (
    SHOWN_PROBLEMS,
    BadInput,
    Conflict,
    NotFound,
    NotRecorded,
    PolicyRefused,
    clip,
)

REFUSAL_REASONS = ("role", "own_edit", "self_approval", "unknown_user")


def explain(lang: str, exc: Exception) -> tuple[int, str, str]:
    """``(status, headline in lang, detail)`` of an error a page or form met."""
    t = translator(lang)
    detail = str(exc)
    if isinstance(exc, PolicyRefused):
        reason = getattr(exc, "reason", "")
        key = reason if reason in REFUSAL_REASONS else "refused"
        return 403, t(f"error.{key}"), detail
    if isinstance(exc, NotFound):
        return 404, t("error.not_found"), detail
    if isinstance(exc, NotRecorded):
        return 503, t("error.not_recorded"), detail
    if isinstance(exc, Conflict):
        return 409, t("error.conflict"), detail
    if isinstance(exc, BadInput):
        shown = exc.problems[:SHOWN_PROBLEMS]
        where = "; ".join(f"{clip(p.field or '')}: {p.reason}" for p in shown)
        return 422, t("error.bad_input"), where or detail
    return 500, t("error.other"), detail


def error_page(request: Request, exc: Exception, user: Any = None) -> HTMLResponse:
    """A page that says what went wrong, in the reader's language."""
    status, headline, detail = explain(pick_language(request), exc)
    ctx = {"headline": headline, "detail": detail, "status": status}
    return render(request, "error.html", ctx, status_code=status, user=user)


HANDLED = (PolicyRefused, NotFound, Conflict, BadInput)

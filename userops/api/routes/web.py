"""The web UI (approver inbox, operator chat, campaign chart) in Chinese and English.

The page itself holds no data; everything it shows comes from ``/v1`` with the token the
person enters (kept in the browser's local storage).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

router = APIRouter(include_in_schema=False)
PAGE = Path(__file__).resolve().parent.parent / "web" / "index.html"


@lru_cache(maxsize=1)
def _page() -> str:
    return PAGE.read_text(encoding="utf-8")


@router.get("/")
def root() -> RedirectResponse:
    """Send people to the UI."""
    return RedirectResponse("/ui")


@router.get("/ui", response_class=HTMLResponse)
def ui() -> HTMLResponse:
    """The single-page UI (``#inbox``, ``#chat``, ``#campaign/ID``)."""
    return HTMLResponse(_page(), headers={"Content-Security-Policy": "frame-ancestors 'none'"})

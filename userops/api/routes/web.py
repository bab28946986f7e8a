"""The web app's entry: sign in with an API token, language, static files, the start page.

Pages live in ``web_chat`` (operator threads), ``web_inbox`` (approver inbox, cards and
journeys) and ``web_dash`` (dashboards); templates and static files in
:mod:`userops.api.web`. See ``docs/web.md``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from prompts.catalog import LANGUAGES
from userops.api.web import LANG_COOKIE, render
from userops.api.web.session import (
    COOKIE,
    Form,
    authenticate,
    cookie_token,
    read_form,
    safe_next,
    web_user,
)
from userops.errors import BadInput

router = APIRouter(include_in_schema=False)
STATIC = {"app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8"}


@lru_cache(maxsize=len(STATIC))
def _static(name: str) -> bytes:
    return resources.files("userops.api.web").joinpath(f"static/{name}").read_bytes()


@router.get("/")
def root() -> RedirectResponse:
    """Send people to the UI."""
    return RedirectResponse("/ui")


@router.get("/ui/static/{name}")
def static(name: str) -> Response:
    """The one CSS file and the one script (cached for an hour)."""
    if name not in STATIC:
        raise HTTPException(404, "no such file")
    return Response(
        _static(name),
        media_type=STATIC[name],
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/ui", response_class=HTMLResponse)
async def start(request: Request) -> Response:
    """Operators start in their chat, approvers and admins in the inbox."""
    user = await web_user(request)
    return RedirectResponse("/ui/chat" if user.role == "operator" else "/ui/inbox", 303)


@router.get("/ui/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None) -> Response:
    """How to get a token, and the form to sign in with it."""
    return render(request, "login.html", {"next": safe_next(next), "failed": False})


@router.post("/ui/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Check the token; keep it in an HttpOnly cookie and go on (401 page when wrong)."""
    try:
        form = await read_form(request, max_fields=10)
    except BadInput:
        form = Form({})
    token, next = form.get("token").strip()[:200], form.get("next", "/ui")[:500]
    user = await authenticate(request, token) if token and token.isprintable() else None
    if user is None:
        ctx = {"next": safe_next(next), "failed": True}
        return render(request, "login.html", ctx, status_code=401)
    out = RedirectResponse(safe_next(next), 303)
    secure = request.url.scheme == "https"
    out.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", path="/ui", secure=secure,
        max_age=12 * 3600,
    )  # fmt: skip
    return out


@router.post("/ui/logout")
async def logout(request: Request) -> Response:
    """Forget the token (the cookie)."""
    out = RedirectResponse("/ui/login", 303)
    if cookie_token(request):
        out.delete_cookie(COOKIE, path="/ui")
    return out


@router.get("/ui/lang/{lang}")
async def set_language(request: Request, lang: str, next: str | None = None) -> Response:
    """Switch the language (a cookie) and go back."""
    if lang not in LANGUAGES:
        raise HTTPException(404, "no such language")
    out = RedirectResponse(safe_next(next), 303)
    out.set_cookie(LANG_COOKIE, lang, samesite="lax", path="/", max_age=365 * 86400)
    return out


def _pages() -> None:
    from userops.api.routes import web_chat, web_dash, web_inbox, web_journeys

    for module in (web_chat, web_inbox, web_journeys, web_dash):
        router.include_router(module.router)


_pages()

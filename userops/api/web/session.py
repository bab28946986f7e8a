"""Who is using the web app: the API token kept in an HttpOnly cookie, and a CSRF check.

The login page takes the same bearer token the API takes (``userops users add NAME --role
ROLE`` prints it once) and keeps it in a ``SameSite=Strict``, ``HttpOnly`` cookie scoped to
``/ui``. Every page and form authenticates it as ``/v1`` does, failures counted by the same
limiter. Each form and script post carries a CSRF value derived from the token (an HMAC
another site cannot compute).
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from userops.accounts import AccountInfo
from userops.api.deps import Services
from userops.api.limiter import failure_keys

COOKIE = "userops_token"
CSRF_HEADER = "x-csrf-token"


def cookie_token(request: Request) -> str | None:
    """The token in the cookie (bounded, printable), or None."""
    token = request.cookies.get(COOKIE, "")
    if not token or len(token) > 200 or not token.isprintable():
        return None
    return token


def csrf_token(request: Request) -> str:
    """The CSRF value of the request's session ('' without one)."""
    token = cookie_token(request)
    if token is None:
        return ""
    return hmac.new(token.encode(), b"userops-web-csrf", hashlib.sha256).hexdigest()[:32]


def check_csrf(request: Request, given: str | None) -> None:
    """Refuse (403) a post whose CSRF value is missing or wrong."""
    expected = csrf_token(request)
    sent = given or request.headers.get(CSRF_HEADER, "")
    if not expected or not hmac.compare_digest(expected, sent[:64]):
        raise HTTPException(403, "missing or wrong CSRF value; reload the page")


async def authenticate(request: Request, token: str) -> AccountInfo | None:
    """The account of ``token``; a failure counts against the address and the token."""
    services: Services = request.app.state.services
    user = services.tokens.cached(token)
    if user is None:
        user = await run_in_threadpool(services.tokens.get, token, services.engine)
    if user is not None:
        return user
    keys = failure_keys(request.client.host if request.client else "?", token)
    await run_in_threadpool(services.limiter.refuse, keys)
    return None


def login_url(request: Request) -> str:
    """The login page, coming back to the current page afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/ui/login?next=" + quote(target, safe="")


async def web_user(request: Request) -> AccountInfo:
    """The signed-in account; a request without one is sent to the login page (303)."""
    token = cookie_token(request)
    user = await authenticate(request, token) if token else None
    if user is None:
        raise HTTPException(303, "sign in first", {"Location": login_url(request)})
    return user


def safe_next(target: str | None) -> str:
    """A local ``/ui`` path to go to after signing in (anything else: the start page)."""
    if target and target.startswith("/ui") and "//" not in target and "\\" not in target:
        return target[:500]
    return "/ui"


class Form:
    """An ``application/x-www-form-urlencoded`` body (the only kind the pages post)."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields

    def get(self, key: str, default: str = "") -> str:
        """The first value of ``key``."""
        values = self.fields.get(key)
        return values[0] if values else default

    def getlist(self, key: str) -> list[str]:
        """Every value of ``key``."""
        return list(self.fields.get(key, []))

    def first_values(self) -> dict[str, str]:
        """Each key with its first value."""
        return {k: v[0] for k, v in self.fields.items() if v}


async def read_form(request: Request, max_fields: int = 2000) -> Form:
    """Parse the posted form (the request guard already bounds the body's size).

    Raises:
        BadInput: the body is not UTF-8, or holds a value no store keeps (a NUL...).
    """
    from urllib.parse import parse_qs

    from userops.errors import BadInput
    from userops.text_limits import string_problem

    raw = await request.body()
    try:
        text = raw.decode("utf-8")
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=max_fields,
                          errors="strict")  # fmt: skip
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInput.one(f"not a valid form body ({type(exc).__name__})", field="body") from None
    for key, values in fields.items():
        for v in (key, *values):
            problem = string_problem(v)
            if problem:
                raise BadInput.one(problem, field=key[:60], value=v[:40])
    return Form(fields)

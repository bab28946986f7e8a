"""The operator and approver web app: Jinja2 templates, one CSS file, one small JS module.

Pages are rendered on the server (no build step, nothing fetched from another host); the
browser's script only streams a thread's progress and enhances forms. Text is in Chinese
and English from ``prompts/messages/{zh,en}.yaml`` (keys ``web.*``); the language comes
from the ``lang`` cookie, else ``Accept-Language``. See ``docs/web.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChainableUndefined, Environment, PackageLoader, select_autoescape

from prompts.catalog import LANGUAGES, say

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""Nothing is loaded from, posted or connected to any other host."""
LANG_COOKIE = "lang"


def pick_language(request: Request) -> str:
    """The ``lang`` cookie if valid, else the first of zh/en in ``Accept-Language``, else zh."""
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    header = request.headers.get("accept-language", "")[:400]
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:20]):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        base = tag.strip().lower()[:2]
        if base in LANGUAGES:
            ranked.append((-weight, i, base))
    return min(ranked)[2] if ranked else "zh"


Translate = Callable[..., str]


def translator(lang: str) -> Translate:
    """``t("key", **values)``: the line ``web.key`` in ``lang``."""

    def t(key: str, **values: object) -> str:
        return say(f"web.{key}", lang, **values)

    return t


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The template environment (autoescaped; a missing attribute renders empty)."""
    env = Environment(
        loader=PackageLoader("userops.api.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = lambda v: f"{float(v or 0):,.2f}"
    env.filters["int"] = lambda v: f"{int(v or 0):,}"
    env.filters["pct"] = lambda v: f"{100 * float(v or 0):.1f}%"
    return env


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
    user: Any = None,
) -> HTMLResponse:
    """Render template ``name`` in the request's language, with the security headers."""
    lang = pick_language(request)
    page = environment().get_template(name)
    from userops.api.web.session import csrf_token

    body = page.render(
        lang=lang,
        t=translator(lang),
        user=user,
        csrf=csrf_token(request),
        path=request.url.path,
        query=request.url.query,
        **context,
    )
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
    return HTMLResponse(body, status_code=status_code, headers=headers)

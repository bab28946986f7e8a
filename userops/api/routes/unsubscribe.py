"""Unsubscribe links: ``GET|POST /unsubscribe/{token}`` (public, the token is the proof).

``GET`` shows a confirmation page (Chinese or English, the recipient's language) and
changes nothing: mail scanners open links. ``POST`` withdraws the recipient's consent on the
token's channel at once and says so: the page's button posts, and so do mail clients that
honour ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), with that body
(``application/x-www-form-urlencoded`` or ``multipart/form-data``). The withdrawal is a
``message_opted_out`` event of the token's campaign (once per token) and a ``consent.set``
audit row (actor ``feedback:unsubscribe``). A token that is malformed or not signed by this
server is answered 400 naming it; a body without ``List-Unsubscribe=One-Click``, 400 naming
the field; a token of a user no longer in the store, 404. Token format:
:mod:`userops.dispatch.feedback.unsubscribe`.
"""

from __future__ import annotations

import time
from email.parser import BytesParser
from email.policy import HTTP
from html import escape
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine, select
from starlette.concurrency import run_in_threadpool

from userops.api.deps import Services
from userops.dispatch.feedback import unsubscribe as tokens
from userops.dispatch.feedback.items import Feedback, NewEvent, Withdrawal
from userops.errors import BadInput
from userops.feedback import record
from userops.store.models import User

router = APIRouter(tags=["unsubscribe"])
ONE_CLICK = "One-Click"
FIELD = "List-Unsubscribe"
_CHANNELS = {
    "zh": {
        "sms": "短信",
        "email": "邮件",
        "app_push": "应用推送",
        "wechat_template": "微信消息",
        "wecom": "企业微信消息",
        "miniprogram": "小程序消息",
        "voice_call": "电话",
        "webhook": "消息",
    },
    "en": {"sms": "text messages", "email": "e-mails", "app_push": "push notifications"},
}
_TEXT = {
    "zh": {
        "title": "退订",
        "ask": "确认不再接收我们的{ch}吗？",
        "button": "确认退订",
        "done": "已退订：您将不再收到我们的{ch}。",
        "bad": "退订链接无效",
        "gone": "该链接对应的用户已不存在。",
    },
    "en": {
        "title": "Unsubscribe",
        "ask": "Stop receiving our {ch}?",
        "button": "Unsubscribe",
        "done": "Done: you will no longer receive our {ch}.",
        "bad": "This unsubscribe link is not valid",
        "gone": "The person this link was made for is no longer in our records.",
    },
}


def _page(lang: str, body: str, status: int = 200) -> HTMLResponse:
    t = _TEXT[lang]
    html = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{t['title']}</title></head>"
        f'<body style="font-family:sans-serif;max-width:32em;margin:3em auto">{body}</body></html>'
    )
    return HTMLResponse(html, status, headers={"Cache-Control": "no-store"})


def _lang(language: str | None, accept: str | None) -> str:
    pick = language or (accept or "")[:2]
    return "zh" if pick.lower().startswith("zh") else "en"


def _channel(lang: str, channel: str) -> str:
    return _CHANNELS[lang].get(channel) or _CHANNELS["en"].get(channel) or "messages"


def _bad(lang: str, exc: BadInput) -> HTMLResponse:
    p = exc.problems[0]
    where = f"{p.source or 'request'} {p.field}: {p.reason}"
    body = f"<h1>{_TEXT[lang]['bad']}</h1><p>{escape(where)}</p>"
    return _page(lang, body, 400)


def _user_language(engine: Engine, user_id: int) -> tuple[bool, str | None]:
    with engine.connect() as conn:
        row = conn.execute(select(User.language).where(User.id == user_id)).first()
    return (row is not None, None if row is None else row[0])


def _resolve(request: Request, token: str) -> tuple[tokens.Recipient, str, bool]:
    """The recipient, the page language and whether the user exists (``BadInput``)."""
    services: Services = request.app.state.services
    who = tokens.verify(token, tokens.signing_key(services.settings))
    exists, language = _user_language(services.engine, who.user_id)
    return who, _lang(language, request.headers.get("accept-language")), exists


def one_click(content_type: str, body: bytes) -> bool:
    """Whether ``body`` carries ``List-Unsubscribe=One-Click`` (RFC 8058)."""
    try:
        return _one_click(content_type, body)
    except (ValueError, LookupError, TypeError, UnicodeError):  # a body no client sends
        return False


def _one_click(content_type: str, body: bytes) -> bool:
    ct = content_type.lower()
    if ct.startswith("multipart/form-data"):
        head = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
        msg: Any = BytesParser(policy=HTTP).parsebytes(head + body)
        if not msg.is_multipart():
            return False
        for part in msg.iter_parts():
            if part.get_param("name", header="content-disposition") == FIELD:
                return str(part.get_content()).strip() == ONE_CLICK
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    fields = parse_qs(text.strip(), max_num_fields=20)
    return fields.get(FIELD) == [ONE_CLICK]


@router.get("/unsubscribe/{token}", response_class=HTMLResponse, summary="Unsubscribe page")
async def confirm(request: Request, token: str) -> HTMLResponse:
    """The confirmation page of an unsubscribe link (changes nothing)."""
    lang = _lang(None, request.headers.get("accept-language"))
    try:
        who, lang, exists = await run_in_threadpool(_resolve, request, token)
    except BadInput as exc:
        return _bad(lang, exc)
    t = _TEXT[lang]
    if not exists:
        return _page(lang, f"<h1>{t['bad']}</h1><p>{t['gone']}</p>", 404)
    ch = escape(_channel(lang, who.channel))
    body = (
        f"<h1>{t['title']}</h1><p>{t['ask'].format(ch=ch)}</p>"
        f'<form method="post" action="{escape(tokens.PATH + token)}">'
        f'<input type="hidden" name="{FIELD}" value="{ONE_CLICK}">'
        f'<button type="submit">{t["button"]}</button></form>'
    )
    return _page(lang, body)


def _withdraw(engine: Engine, who: tokens.Recipient, token: str) -> None:
    now = int(time.time())
    props = {"provider": "unsubscribe", "via": "link"}
    fb = Feedback("unsubscribe")
    fb.events.append(
        NewEvent(who.user_id, "message_opted_out", now, who.channel, token, who.campaign_id, props)
    )
    fb.withdrawals.append(Withdrawal(who.user_id, who.channel, now, "unsubscribe_link"))
    record(engine, fb)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse, summary="Unsubscribe now")
async def withdraw(request: Request, token: str) -> HTMLResponse:
    """Withdraw the recipient's consent on the link's channel (RFC 8058 one-click)."""
    services: Services = request.app.state.services
    lang = _lang(None, request.headers.get("accept-language"))
    body = await request.body()
    try:
        who, lang, exists = await run_in_threadpool(_resolve, request, token)
        if not one_click(request.headers.get("content-type", ""), body):
            raise BadInput.one(f"must be {ONE_CLICK} (RFC 8058)", field=FIELD, source="body")
    except BadInput as exc:
        return _bad(lang, exc)
    t = _TEXT[lang]
    if not exists:
        return _page(lang, f"<h1>{t['bad']}</h1><p>{t['gone']}</p>", 404)
    await run_in_threadpool(_withdraw, services.engine, who, token)
    ch = escape(_channel(lang, who.channel))
    return _page(lang, f"<h1>{t['title']}</h1><p>{t['done'].format(ch=ch)}</p>")

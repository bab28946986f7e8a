"""WeChat official-account template messages.

Token: ``GET /cgi-bin/token?grant_type=client_credential&appid=&secret=``, cached until
five minutes before ``expires_in``. Send: ``POST /cgi-bin/message/template/send?access_token=``
with ``{"touser": openid, "template_id", "url", "data": {key: {"value"}}, "client_msg_id"}``,
one request per message. ``client_msg_id`` is derived from the idempotency key: WeChat sends
one message per ``(openid, client_msg_id)`` within ten minutes, so a retry after a timeout
inside that window is not delivered twice.

``errcode``: 0 delivered (``msgid``); 40001/40014/42001 token invalid → refresh once and retry;
-1 (busy), 45009/45011/45033/45047 (limits) and HTTP 5xx/timeouts transient; 43004 (the user
unfollowed), 43101 (refused), 40003 (bad openid), 40037 (bad template) and the rest permanent.
"""

from __future__ import annotations

from typing import Any

import httpx

from userops.dispatch.adapters._http import Http, dedupe_id, fail, fan_out, http_failure, missing
from userops.dispatch.adapters._token import RATE_ERRORS, TOKEN_ERRORS, TokenCache
from userops.dispatch.adapters.base import Capabilities, OutgoingMessage, SendResult

DEFAULT_ENDPOINT = "https://api.weixin.qq.com"


class WechatTemplateAdapter:
    """Template messages to official-account followers (address: ``wechat_openid``)."""

    def __init__(
        self,
        *,
        appid: str,
        secret: str,
        endpoint: str = DEFAULT_ENDPOINT,
        timeout: float = 10.0,
        concurrency: int = 16,
        cost_per_message: float = 0.0,
        rate_per_second: float = 50.0,
        burst: int = 100,
        max_batch: int = 200,
        channel: str = "wechat_template",
    ) -> None:
        self.appid = appid
        self.secret = secret
        self.concurrency = concurrency
        self.capabilities = Capabilities(
            channel, cost_per_message, rate_per_second, burst, max_batch
        )
        self._http = Http(endpoint, timeout)
        self.tokens = TokenCache(self._fetch_token)

    async def _fetch_token(self) -> dict[str, Any]:
        resp = await self._http().get(
            "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )
        resp.raise_for_status()
        data: dict[str, Any] = resp.json()
        return data

    def body(self, m: OutgoingMessage) -> dict[str, Any]:
        """The template-send body for ``m``."""
        c = m.content
        fields = c.get("template_fields") or {"content": c.get("body", "")}
        out: dict[str, Any] = {
            "touser": m.address.get("wechat_openid", ""),
            "template_id": c.get("template_id") or "",
            "data": {k: {"value": v} for k, v in fields.items()},
            "client_msg_id": dedupe_id(m.idempotency_key),
        }
        if c.get("url"):
            out["url"] = c["url"]
        return out

    path = "/cgi-bin/message/template/send"
    """The send endpoint."""

    async def _post(self, m: OutgoingMessage, token: str) -> httpx.Response:
        return await self._http().post(self.path, params={"access_token": token}, json=self.body(m))

    async def _send(self, m: OutgoingMessage) -> SendResult:
        bad = missing(m, "wechat_openid")
        if bad:
            return bad
        if not m.content.get("template_id"):
            return fail(m, "no template_id", transient=False)
        token = await self.tokens.get()
        resp = await self._post(m, token)
        if resp.status_code == 200 and resp.json().get("errcode") in TOKEN_ERRORS:
            resp = await self._post(m, await self.tokens.get(stale=token))
        return result(m, resp, "wechat")

    async def send_batch(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        """Send each message; one result per message, in order."""
        return await fan_out(messages, self._send, self.concurrency)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()


def result(m: OutgoingMessage, resp: httpx.Response, name: str) -> SendResult:
    """Map a WeChat-family answer (``errcode``/``msgid``) onto a :class:`SendResult`."""
    if resp.status_code != 200:
        return http_failure(m, resp)
    data = resp.json()
    code = int(data.get("errcode", 0))
    if code == 0:
        return SendResult(m.idempotency_key, True, provider_message_id=str(data.get("msgid", "")))
    error = f"{name} {code} {data.get('errmsg', '')}"
    if code in RATE_ERRORS:
        return fail(m, error, transient=True, after=1.0)
    return fail(m, error, transient=code in TOKEN_ERRORS)


class MiniprogramSubscribeAdapter(WechatTemplateAdapter):
    """Mini-program subscription messages (``/cgi-bin/message/subscribe/send``).

    Same token and ``errcode`` handling as template messages, with the mini-program's appid
    and secret; body ``{"touser", "template_id", "page", "data", "miniprogram_state",
    "lang"}`` (the content's ``url`` is the page). 43101 (the user has no subscription left
    for this template) and 47003 (bad template data) are permanent. This API has no dedupe
    id: an in-doubt timeout is at-least-once.
    """

    path = "/cgi-bin/message/subscribe/send"

    def __init__(
        self,
        *,
        appid: str,
        secret: str,
        endpoint: str = DEFAULT_ENDPOINT,
        miniprogram_state: str = "formal",
        lang: str = "zh_CN",
        timeout: float = 10.0,
        concurrency: int = 16,
        cost_per_message: float = 0.0,
        rate_per_second: float = 50.0,
        burst: int = 100,
        max_batch: int = 200,
    ) -> None:
        super().__init__(
            appid=appid,
            secret=secret,
            endpoint=endpoint,
            timeout=timeout,
            concurrency=concurrency,
            cost_per_message=cost_per_message,
            rate_per_second=rate_per_second,
            burst=burst,
            max_batch=max_batch,
            channel="miniprogram",
        )
        self.miniprogram_state = miniprogram_state
        self.lang = lang

    def body(self, m: OutgoingMessage) -> dict[str, Any]:
        """The subscribe-send body for ``m``."""
        out = super().body(m)
        del out["client_msg_id"]
        page = out.pop("url", None)
        if page:
            out["page"] = page
        out["miniprogram_state"] = self.miniprogram_state
        out["lang"] = self.lang
        return out

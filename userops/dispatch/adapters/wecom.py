"""WeCom (企业微信) customer messages through ``externalcontact/add_msg_template``.

Why this API: messages to *customers* (external contacts) go through the customer-contact
mass-send, ``POST /cgi-bin/externalcontact/add_msg_template`` — ``/cgi-bin/message/send``
reaches only the company's own members. One call carries up to 10,000 ``external_userid``s
with one text, so a batch is grouped by rendered text and sent as one call per group. WeCom
turns the call into a task the ``sender`` (a staff member) confirms in the app; its answer
lists the customers it could not include (``fail_list``: not that staff member's customer,
over the customer's daily limit...), which become permanent per-message failures — a
native partial batch failure.

Token: ``GET /cgi-bin/gettoken?corpid=&corpsecret=`` (cached; 40014/42001 → refresh once).
``errcode`` -1, 45009, 45033 and HTTP 5xx/timeouts fail the whole group transiently; other
codes permanently. The address used as ``external_userid`` is the user's ``wechat_unionid``
(else ``wechat_openid``) as the CDP stores it; map unionids to external user ids upstream
(WeCom's ``unionid_to_external_userid``) if your corp needs it. WeCom does not deduplicate
tasks: a timeout after WeCom created one is at-least-once at that moment.
"""

from __future__ import annotations

from typing import Any

import httpx

from userops.dispatch.adapters._http import Http, fail, http_failure
from userops.dispatch.adapters._token import RATE_ERRORS, TOKEN_ERRORS, TokenCache
from userops.dispatch.adapters.base import Capabilities, OutgoingMessage, SendResult

DEFAULT_ENDPOINT = "https://qyapi.weixin.qq.com"
MAX_PER_CALL = 10_000


def external_userid(m: OutgoingMessage) -> str:
    """The customer id a message goes to ("" when the user has none)."""
    return m.address.get("wechat_unionid") or m.address.get("wechat_openid") or ""


class WecomAdapter:
    """Customer messages through a WeCom staff member (``sender``)."""

    def __init__(
        self,
        *,
        corpid: str,
        corpsecret: str,
        sender: str,
        endpoint: str = DEFAULT_ENDPOINT,
        timeout: float = 10.0,
        cost_per_message: float = 0.0,
        rate_per_second: float = 100.0,
        burst: int = 1000,
        max_batch: int = 1000,
    ) -> None:
        self.corpid = corpid
        self.corpsecret = corpsecret
        self.sender = sender
        self.capabilities = Capabilities(
            "wecom", cost_per_message, rate_per_second, burst, min(max_batch, MAX_PER_CALL)
        )
        self._http = Http(endpoint, timeout)
        self.tokens = TokenCache(self._fetch_token)

    async def _fetch_token(self) -> dict[str, Any]:
        resp = await self._http().get(
            "/cgi-bin/gettoken", params={"corpid": self.corpid, "corpsecret": self.corpsecret}
        )
        resp.raise_for_status()
        data: dict[str, Any] = resp.json()
        return data

    async def _post(self, ids: list[str], text: str, token: str) -> httpx.Response:
        body = {
            "chat_type": "single",
            "external_userid": ids,
            "sender": self.sender,
            "text": {"content": text},
        }
        return await self._http().post(
            "/cgi-bin/externalcontact/add_msg_template",
            params={"access_token": token},
            json=body,
        )

    async def _group(self, group: list[OutgoingMessage], text: str) -> list[SendResult]:
        ids = [external_userid(m) for m in group]
        try:
            token = await self.tokens.get()
            resp = await self._post(ids, text, token)
            if resp.status_code == 200 and resp.json().get("errcode") in TOKEN_ERRORS:
                resp = await self._post(ids, text, await self.tokens.get(stale=token))
        except httpx.TimeoutException:
            return [fail(m, "timeout", transient=True) for m in group]
        except httpx.TransportError as exc:
            return [fail(m, f"network: {type(exc).__name__}", transient=True) for m in group]
        except Exception as exc:  # kept to this group: see _http.fan_out
            return [fail(m, f"error: {exc}", transient=True) for m in group]
        if resp.status_code != 200:
            return [http_failure(m, resp) for m in group]
        try:
            data = resp.json()
        except ValueError:
            return [fail(m, "wecom: answer is not JSON", transient=True) for m in group]
        code = int(data.get("errcode", 0))
        if code != 0:
            error = f"wecom {code} {data.get('errmsg', '')}"
            transient = code in RATE_ERRORS or code in TOKEN_ERRORS
            after = 1.0 if code in RATE_ERRORS else None
            return [fail(m, error, transient=transient, after=after) for m in group]
        failed = set(data.get("fail_list") or [])
        msgid = str(data.get("msgid", ""))
        return [
            fail(m, "wecom fail_list", transient=False)
            if external_userid(m) in failed
            else SendResult(m.idempotency_key, True, provider_message_id=msgid)
            for m in group
        ]

    async def send_batch(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        """One ``add_msg_template`` call per distinct text; one result per message, in order."""
        by_key: dict[str, SendResult] = {}
        groups: dict[str, list[OutgoingMessage]] = {}
        for m in messages:
            if not external_userid(m):
                by_key[m.idempotency_key] = fail(m, "no wecom address", transient=False)
            else:
                groups.setdefault(m.content.get("body") or "", []).append(m)
        for text, group in groups.items():
            for i in range(0, len(group), MAX_PER_CALL):
                part = group[i : i + MAX_PER_CALL]
                for r in await self._group(part, text):
                    by_key[r.idempotency_key] = r
        return [by_key[m.idempotency_key] for m in messages]

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()

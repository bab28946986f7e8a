"""Aliyun SMS (Dysmsapi ``SendSms``, RPC style, signature version 1.0).

One ``SendSms`` GET per message (messages of one batch carry different template values, and
``SendBatchSms`` answers all-or-nothing), at most ``concurrency`` in flight. The request is
signed as Aliyun documents it: parameters sorted by name, each name and value
percent-encoded per RFC 3986 (``A-Z a-z 0-9 - _ . ~`` kept, space as ``%20``), joined into
the canonical query, ``StringToSign = "GET&%2F&" + percent(canonical)``, and
``Signature = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))``.

Answers: ``Code == "OK"`` is delivered (``BizId`` becomes the provider message id);
``Throttling.*``, ``ServiceUnavailable``, ``InternalError``, 5xx and timeouts are transient;
``isv.*`` and other codes are permanent.

Duplicates: ``OutId`` carries (a hash of) the idempotency key; Aliyun echoes it on send
records but does not deduplicate on it. So when a ``SendSms`` request times out *after it
was sent* (read/write timeout: Aliyun may have accepted it), the key is remembered as in
doubt, and before it is sent again the adapter asks ``QuerySendDetails`` for that number and
day: a record with our ``OutId`` means it went out (reported delivered, not re-sent); a
failed query keeps it transient without sending. What this cannot cover: a worker that dies
between such a timeout and the retry (the in-doubt set is in memory), and a record Aliyun
has not listed yet — at-least-once at that one moment (docs/policy.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

import httpx

from userops.dispatch.adapters._http import Http, dedupe_id, fail, fan_out, missing
from userops.dispatch.adapters.base import Capabilities, OutgoingMessage, SendResult

DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com"
_CHINA = timezone(timedelta(hours=8))
_TRANSIENT_CODES = ("Throttling", "ServiceUnavailable", "InternalError", "SignatureNonceUsed")


def percent(value: str) -> str:
    """Percent-encode per Aliyun's POP rules (RFC 3986 unreserved characters kept)."""
    return quote(value, safe="~")


def canonical_query(params: dict[str, str]) -> str:
    """The sorted, percent-encoded query string (without ``Signature``)."""
    return "&".join(
        f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()) if k != "Signature"
    )


def sign(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """Aliyun RPC signature v1 (HMAC-SHA1) of ``params``."""
    to_sign = f"{method}&{percent('/')}&{percent(canonical_query(params))}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSmsAdapter:
    """SMS through Aliyun Dysmsapi ``SendSms``."""

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str | None = None,
        endpoint: str = DEFAULT_ENDPOINT,
        region_id: str = "cn-hangzhou",
        timeout: float = 10.0,
        concurrency: int = 16,
        cost_per_message: float = 0.05,
        rate_per_second: float = 100.0,
        burst: int = 200,
        max_batch: int = 100,
    ) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.template_code = template_code
        """Template used when the content has no ``template_id``; it gets ``{"content": body}``."""
        self.region_id = region_id
        self.concurrency = concurrency
        self.capabilities = Capabilities("sms", cost_per_message, rate_per_second, burst, max_batch)
        self._http = Http(endpoint, timeout)
        self._in_doubt: dict[str, str] = {}
        """Keys whose request timed out after it was sent → send date (China time)."""

    def signed(self, action: str, params: dict[str, str]) -> dict[str, str]:
        """``params`` plus the common RPC parameters of ``action`` and the signature."""
        p = {
            "AccessKeyId": self.access_key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": self.region_id,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            **params,
        }
        p["Signature"] = sign(p, self.access_key_secret)
        return p

    def params(self, m: OutgoingMessage) -> dict[str, str]:
        """The signed ``SendSms`` query parameters for ``m``."""
        c = m.content
        fields = c.get("template_fields") or {"content": c.get("body", "")}
        return self.signed(
            "SendSms",
            {
                "OutId": dedupe_id(m.idempotency_key),
                "PhoneNumbers": m.address.get("phone", ""),
                "SignName": self.sign_name,
                "TemplateCode": c.get("template_id") or self.template_code or "",
                "TemplateParam": json.dumps(fields, ensure_ascii=False, separators=(",", ":")),
            },
        )

    async def _already_sent(self, m: OutgoingMessage, day: str) -> str | None:
        """``QuerySendDetails``: the OutId of ``m`` among the day's records of its number.

        Returns the found OutId, or ``None``. Raises on a failed query (the caller then
        reports the message transient rather than risk sending it twice).
        """
        q = {
            "PhoneNumber": m.address["phone"],
            "SendDate": day,
            "PageSize": "50",
            "CurrentPage": "1",
        }
        resp = await self._http().get("/", params=self.signed("QuerySendDetails", q))
        data = resp.json()
        if resp.status_code != 200 or data.get("Code") != "OK":
            raise RuntimeError(f"QuerySendDetails {resp.status_code} {data.get('Code')}")
        out_id = dedupe_id(m.idempotency_key)
        records = (data.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        return out_id if any(r.get("OutId") == out_id for r in records) else None

    async def _send(self, m: OutgoingMessage) -> SendResult:
        bad = missing(m, "phone")
        if bad:
            return bad
        if not (m.content.get("template_id") or self.template_code):
            return fail(m, "no SMS template code", transient=False)
        day = self._in_doubt.get(m.idempotency_key)
        if day is not None:
            try:
                found = await self._already_sent(m, day)
            except (httpx.HTTPError, RuntimeError, ValueError) as exc:
                return fail(m, f"in doubt, query failed: {exc}", transient=True)
            del self._in_doubt[m.idempotency_key]
            if found:
                return SendResult(m.idempotency_key, True, provider_message_id=f"out:{found}")
        try:
            resp = await self._http().get("/", params=self.params(m))
        except (httpx.ReadTimeout, httpx.WriteTimeout):
            self._in_doubt[m.idempotency_key] = datetime.now(_CHINA).strftime("%Y%m%d")
            return fail(m, "timeout: in doubt", transient=True)
        return self._result(m, resp)

    def _result(self, m: OutgoingMessage, resp: httpx.Response) -> SendResult:
        try:
            data = resp.json()
        except ValueError:
            data = {}
        code = str(data.get("Code") or "")
        if resp.status_code == 200 and code == "OK":
            return SendResult(m.idempotency_key, True, provider_message_id=data.get("BizId"))
        if code.startswith(_TRANSIENT_CODES) or (not code and resp.status_code >= 500):
            after = 1.0 if code.startswith("Throttling") else None
            return fail(m, f"aliyun {code or resp.status_code}", transient=True, after=after)
        transient = resp.status_code >= 500 and not code.startswith("isv.")
        return fail(m, f"aliyun {code or resp.status_code}", transient=transient)

    async def send_batch(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        """Send each message with ``SendSms``; one result per message, in order."""
        return await fan_out(messages, self._send, self.concurrency)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()

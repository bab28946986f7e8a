"""Aliyun SMS (Dysmsapi ``SendSms``, RPC style, signature version 1.0).

One ``SendSms`` GET per message (messages of one batch carry different template values, and
``SendBatchSms`` answers all-or-nothing), at most ``concurrency`` in flight. The request is
signed as Aliyun documents it: parameters sorted by name, each name and value
percent-encoded per RFC 3986 (``A-Z a-z 0-9 - _ . ~`` kept, space as ``%20``), joined into
the canonical query, ``StringToSign = "GET&%2F&" + percent(canonical)``, and
``Signature = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))``.

Answers: ``Code == "OK"`` is delivered (``BizId`` becomes the provider message id);
``Throttling.*``, ``ServiceUnavailable``, ``InternalError``, 5xx and timeouts are transient;
``isv.*`` and other codes are permanent. ``OutId`` carries the idempotency key; Aliyun
echoes it on delivery receipts but does not deduplicate on it, so a timeout after Aliyun
accepted a message may, on retry, send it twice (at-least-once at that one moment; see
docs/policy.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from userops.dispatch.adapters._http import Http, dedupe_id, fail, fan_out, missing
from userops.dispatch.adapters.base import Capabilities, OutgoingMessage, SendResult

DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com"
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

    def params(self, m: OutgoingMessage) -> dict[str, str]:
        """The signed ``SendSms`` query parameters for ``m``."""
        c = m.content
        template = c.get("template_id") or self.template_code or ""
        fields = c.get("template_fields") or {"content": c.get("body", "")}
        p = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": dedupe_id(m.idempotency_key),
            "PhoneNumbers": m.address.get("phone", ""),
            "RegionId": self.region_id,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template,
            "TemplateParam": json.dumps(fields, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        p["Signature"] = sign(p, self.access_key_secret)
        return p

    async def _send(self, m: OutgoingMessage) -> SendResult:
        bad = missing(m, "phone")
        if bad:
            return bad
        if not (m.content.get("template_id") or self.template_code):
            return fail(m, "no SMS template code", transient=False)
        resp = await self._http().get("/", params=self.params(m))
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

"""Webhook: an HTTP POST per message, signed with HMAC-SHA256.

Body: JSON ``{"idempotency_key", "user_id", "campaign_id", "channel", "content", "sent_at"}``
(serialized once; the signature covers exactly those bytes). Headers:

* ``X-Userops-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>``
* ``X-Userops-Timestamp: <epoch seconds>`` (receivers should refuse old timestamps: replay)
* ``Idempotency-Key: <key>`` (receivers deduplicate on it, so a retry after a timeout is
  harmless when the receiver honours it)

2xx is delivered; 408/425/429/5xx, timeouts and connection errors are transient (429 honours
``Retry-After``); other 4xx are permanent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

from userops.dispatch.adapters._http import Http, fan_out, http_failure
from userops.dispatch.adapters.base import Capabilities, OutgoingMessage, SendResult

SIGNATURE_HEADER = "X-Userops-Signature"
TIMESTAMP_HEADER = "X-Userops-Timestamp"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Userops-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """Receiver side: whether ``header`` is the signature of ``body`` (constant time)."""
    expected = signature(secret, timestamp, body).encode()
    return hmac.compare_digest(expected, header.encode("utf-8", "replace"))


class WebhookAdapter:
    """POSTs each message to one URL."""

    def __init__(
        self,
        *,
        url: str,
        secret: str,
        timeout: float = 5.0,
        concurrency: int = 16,
        cost_per_message: float = 0.0,
        rate_per_second: float = 50.0,
        burst: int = 100,
        max_batch: int = 100,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.secret = secret
        self.concurrency = concurrency
        self.clock = clock
        self.capabilities = Capabilities(
            "webhook", cost_per_message, rate_per_second, burst, max_batch
        )
        self._http = Http("", timeout)

    def payload(self, m: OutgoingMessage, ts: str) -> dict[str, Any]:
        """The JSON document posted for ``m``."""
        return {
            "idempotency_key": m.idempotency_key,
            "user_id": m.user_id,
            "campaign_id": m.campaign_id,
            "channel": m.channel,
            "content": m.content,
            "sent_at": int(ts),
        }

    async def _send(self, m: OutgoingMessage) -> SendResult:
        ts = str(int(self.clock()))
        body = json.dumps(self.payload(m, ts), ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(self.secret, ts, body),
            TIMESTAMP_HEADER: ts,
            "Idempotency-Key": m.idempotency_key,
        }
        resp = await self._http().post(self.url, content=body, headers=headers)
        if 200 <= resp.status_code < 300:
            return SendResult(m.idempotency_key, True, resp.headers.get("x-request-id"))
        return http_failure(m, resp)

    async def send_batch(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        """POST each message; one result per message, in order."""
        return await fan_out(messages, self._send, self.concurrency)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()

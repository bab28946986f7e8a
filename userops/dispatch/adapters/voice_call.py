"""AI outbound calls through a generic call-task provider.

``POST /v1/call_tasks`` (bearer API key) with
``{"task_id", "phone", "script": {"opening", "branches": [{"intent", "user_says", "reply"}],
"close"}, "callback_url", "metadata": {"campaign_id", "user_id"}}``. The task id is the
idempotency key, and the provider refuses a second task with the same id (``409``), which
this adapter counts as delivered — so a retry after a timeout never places a second call.

201/200 and 409 are delivered; 429 (``Retry-After``), 5xx and timeouts transient; other 4xx
permanent. When the call ends the provider POSTs the outcome (intent and tags) to
``callback_url``; :func:`userops.dispatch.call_callback.record_call_outcome` turns it into a
``call_outcome`` event that enriches the profile.
"""

from __future__ import annotations

from typing import Any

from userops.dispatch.adapters._http import Http, fail, fan_out, http_failure, missing
from userops.dispatch.adapters.base import Capabilities, OutgoingMessage, SendResult


class VoiceCallAdapter:
    """Submits one call task per message."""

    def __init__(
        self,
        *,
        endpoint: str,
        api_key: str,
        callback_url: str,
        timeout: float = 10.0,
        concurrency: int = 8,
        cost_per_message: float = 0.3,
        rate_per_second: float = 5.0,
        burst: int = 20,
        max_batch: int = 50,
    ) -> None:
        self.api_key = api_key
        self.callback_url = callback_url
        self.concurrency = concurrency
        self.capabilities = Capabilities(
            "voice_call", cost_per_message, rate_per_second, burst, max_batch
        )
        self._http = Http(endpoint, timeout)

    def body(self, m: OutgoingMessage) -> dict[str, Any]:
        """The call-task request for ``m``."""
        return {
            "task_id": m.idempotency_key,
            "phone": m.address.get("phone", ""),
            "script": m.content.get("script"),
            "callback_url": self.callback_url,
            "metadata": {"campaign_id": m.campaign_id, "user_id": m.user_id},
        }

    async def _send(self, m: OutgoingMessage) -> SendResult:
        bad = missing(m, "phone")
        if bad:
            return bad
        if not m.content.get("script"):
            return fail(m, "no call script", transient=False)
        resp = await self._http().post(
            "/v1/call_tasks",
            json=self.body(m),
            headers={"Authorization": f"Bearer {self.api_key}"},
        )
        if resp.status_code in (200, 201, 409):
            return SendResult(m.idempotency_key, True, provider_message_id=m.idempotency_key)
        return http_failure(m, resp)

    async def send_batch(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        """Submit each call task; one result per message, in order."""
        return await fan_out(messages, self._send, self.concurrency)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()

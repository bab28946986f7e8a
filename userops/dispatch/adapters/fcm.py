"""App push through Firebase Cloud Messaging HTTP v1.

``POST /v1/projects/{project_id}/messages:send`` with
``{"message": {"token", "notification": {"title", "body"}, "data"}}`` and an OAuth2 bearer
token from an injected provider (``token_provider(force_refresh) -> str``; no Google auth
library here — wire it to whatever issues your service-account tokens). One request per
message (FCM's batch endpoint is gone), at most ``concurrency`` in flight.

Answers: 200 ``{"name": ...}`` is delivered; 429 and 503 (with ``Retry-After``), 500 and
timeouts are transient; 401 refreshes the token once (still 401: transient, so a credential
fix lets the retries through before the dead letter); 404 ``UNREGISTERED``, 400
``INVALID_ARGUMENT`` and 403 ``SENDER_ID_MISMATCH`` are permanent. ``UNREGISTERED`` also
marks the device token gone (``SendResult.gone``): the worker clears it from the user, so
the next push to them is suppressed as ``unreachable`` instead of failing again. The
idempotency key travels in ``data.idempotency_key`` (the app can drop a repeat) and as the Android
``collapse_key``/APNs ``apns-collapse-id`` (a repeat replaces the first notification instead
of showing twice); FCM itself does not deduplicate, so a timeout after FCM accepted a message
is at-least-once at that moment.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import httpx

from userops.dispatch.adapters._http import Http, dedupe_id, fail, fan_out, http_failure, missing
from userops.dispatch.adapters.base import Capabilities, OutgoingMessage, SendResult

TokenProvider = Callable[[bool], Awaitable[str]]
"""``await provider(force_refresh)`` returns an OAuth2 access token."""
DEFAULT_ENDPOINT = "https://fcm.googleapis.com"


def static_token(token: str) -> TokenProvider:
    """A token provider that always returns ``token`` (tests, short-lived scripts)."""

    async def provide(force_refresh: bool = False) -> str:
        return token

    return provide


def _fcm_error(resp: httpx.Response) -> str:
    try:
        err = resp.json().get("error", {})
    except ValueError:
        return ""
    for d in err.get("details") or []:
        if isinstance(d, dict) and d.get("errorCode"):
            return str(d["errorCode"])
    return str(err.get("status") or "")


class FcmAdapter:
    """App push via FCM HTTP v1."""

    def __init__(
        self,
        *,
        project_id: str,
        token_provider: TokenProvider,
        endpoint: str = DEFAULT_ENDPOINT,
        timeout: float = 10.0,
        concurrency: int = 32,
        cost_per_message: float = 0.0,
        rate_per_second: float = 500.0,
        burst: int = 1000,
        max_batch: int = 500,
    ) -> None:
        self.project_id = project_id
        self.token_provider = token_provider
        self.concurrency = concurrency
        self.capabilities = Capabilities(
            "app_push", cost_per_message, rate_per_second, burst, max_batch
        )
        self._http = Http(endpoint, timeout)

    def body(self, m: OutgoingMessage) -> dict[str, Any]:
        """The FCM v1 request body for ``m``."""
        c = m.content
        data = {"idempotency_key": m.idempotency_key, "campaign_id": m.campaign_id}
        if c.get("url"):
            data["url"] = str(c["url"])
        collapse = dedupe_id(m.idempotency_key)
        return {
            "message": {
                "token": m.address.get("device_id", ""),
                "notification": {"title": c.get("title") or "", "body": c.get("body") or ""},
                "data": data,
                "android": {"collapse_key": collapse},
                "apns": {"headers": {"apns-collapse-id": collapse}},
            }
        }

    async def _post(self, m: OutgoingMessage, refresh: bool) -> httpx.Response:
        token = await self.token_provider(refresh)
        return await self._http().post(
            f"/v1/projects/{self.project_id}/messages:send",
            json=self.body(m),
            headers={"Authorization": f"Bearer {token}"},
        )

    async def _send(self, m: OutgoingMessage) -> SendResult:
        bad = missing(m, "device_id")
        if bad:
            return bad
        resp = await self._post(m, False)
        if resp.status_code == 401:
            resp = await self._post(m, True)
        if resp.status_code == 200:
            return SendResult(m.idempotency_key, True, provider_message_id=resp.json().get("name"))
        code = _fcm_error(resp)
        if resp.status_code == 401:  # credentials: fixable, so retried, then dead-lettered
            return fail(m, "fcm UNAUTHENTICATED", transient=True)
        if code == "UNREGISTERED":  # the app was uninstalled or the token expired
            return replace(fail(m, f"fcm {code}", transient=False), gone="device_id")
        if code in ("INVALID_ARGUMENT", "SENDER_ID_MISMATCH"):
            return fail(m, f"fcm {code}", transient=False)
        return http_failure(m, resp, code)

    async def send_batch(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        """Send each message; one result per message, in order."""
        return await fan_out(messages, self._send, self.concurrency)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()

"""Shared pieces of the HTTP adapters: failure classification and bounded fan-out.

Every provider answer is mapped onto :class:`SendResult` the same way: a 2xx with the
provider's success code is ``ok``; 5xx, 408, 429, a timeout or a broken connection is
*transient* (the worker retries it with the same idempotency key); any other 4xx or a
provider error code that will not change on retry is *permanent* (the row is ``failed``).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime
from time import time

import httpx

from userops.dispatch.adapters.base import OutgoingMessage, SendResult

TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def dedupe_id(key: str, size: int = 32) -> str:
    """A short opaque id derived from an idempotency key (for fields with length limits)."""
    return hashlib.sha256(key.encode()).hexdigest()[:size]


def retry_after(resp: httpx.Response, default: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    raw = resp.headers.get("retry-after")
    if not raw:
        return default
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - time())
    except (TypeError, ValueError):
        return default


def fail(
    m: OutgoingMessage, error: str, *, transient: bool, after: float | None = None
) -> SendResult:
    """A failed result for ``m`` (``error`` is kept short: it becomes the outbox reason)."""
    return SendResult(
        m.idempotency_key, False, transient=transient, error=error[:60], retry_after=after
    )


def http_failure(m: OutgoingMessage, resp: httpx.Response, detail: str = "") -> SendResult:
    """Classify a non-success HTTP answer by its status code."""
    transient = resp.status_code in TRANSIENT_STATUS or resp.status_code >= 500
    after = retry_after(resp, 1.0 if resp.status_code == 429 else None)
    return fail(m, f"http {resp.status_code} {detail}".strip(), transient=transient, after=after)


def missing(m: OutgoingMessage, field: str) -> SendResult | None:
    """A permanent failure when the message has no ``field`` address, else ``None``."""
    if m.address.get(field):
        return None
    return fail(m, f"no {field} address", transient=False)


async def fan_out(
    messages: list[OutgoingMessage],
    send_one: Callable[[OutgoingMessage], Awaitable[SendResult]],
    concurrency: int,
) -> list[SendResult]:
    """Run ``send_one`` over ``messages`` with at most ``concurrency`` in flight.

    Network errors and timeouts of one message become a transient result for that message
    only, so one slow request never fails the others of the batch. Any other exception of
    one message (an unparsable answer, a refused token) is also kept to that message: were
    it to escape, the worker would retry the whole batch, re-sending the messages that had
    already gone out.
    """
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(m: OutgoingMessage) -> SendResult:
        async with gate:
            try:
                return await send_one(m)
            except httpx.TimeoutException as exc:
                return fail(m, f"timeout: {type(exc).__name__}", transient=True)
            except httpx.TransportError as exc:
                return fail(m, f"network: {type(exc).__name__}", transient=True)
            except Exception as exc:  # kept to this message, see above
                return fail(m, f"error: {type(exc).__name__}: {exc}", transient=True)

    return list(await asyncio.gather(*(one(m) for m in messages)))


class Http:
    """An ``httpx.AsyncClient`` per event loop (the worker may run each pass in a new loop).

    No environment proxies; explicit timeouts. Call the instance to get the client of the
    running loop.
    """

    def __init__(self, base_url: str, timeout: float | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        # connecting gets 2-5 s whatever the read timeout: a busy host can take longer to
        # open a connection than the provider takes to answer, and a request that never
        # connected never reached the provider (a retry then meets a fresh first attempt)
        self.timeout = (
            httpx.Timeout(timeout, connect=min(5.0, max(2.0, timeout)))
            if timeout
            else DEFAULT_TIMEOUT
        )
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __call__(self) -> httpx.AsyncClient:
        """The client bound to the running event loop."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = httpx.AsyncClient(
                base_url=self.base_url, timeout=self.timeout, trust_env=False
            )
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        """Close the client of the running loop, if any."""
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = None

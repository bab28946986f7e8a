"""The one interface every channel adapter implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Capabilities:
    """What a channel can do and what it costs."""

    channel: str
    """Channel name (``sms``, ``email``...)."""
    cost_per_message: float
    """Cost of one message (per SMS segment for SMS)."""
    rate_per_second: float
    """Token-bucket refill rate the worker applies to this adapter."""
    burst: int
    """Token-bucket size."""
    max_batch: int = 100
    """Largest batch the provider accepts in one call."""


@dataclass
class OutgoingMessage:
    """One rendered message handed to an adapter (placeholders already filled)."""

    idempotency_key: str
    user_id: int
    channel: str
    campaign_id: str
    content: dict[str, Any]
    """Rendered ``MessageContent`` fields (body, subject, html, title, template_fields...)."""
    address: dict[str, str] = field(default_factory=dict)
    """Contact data filled at send time (phone, email, openid, device token)."""


@dataclass
class SendResult:
    """Outcome of one message of a batch."""

    idempotency_key: str
    ok: bool
    provider_message_id: str | None = None
    transient: bool = False
    """True when the failure may succeed on retry (5xx, timeout, rate limit)."""
    error: str | None = None
    retry_after: float | None = None
    """Seconds the provider asked us to wait (rate limit)."""
    gone: str | None = None
    """The kind of the message's address (``device_id``...) that the provider says no longer
    exists (FCM's ``UNREGISTERED``): the worker clears it from the user as the provider's
    callback would (:mod:`userops.dispatch.feedback.results`)."""


class ChannelAdapter(Protocol):
    """A channel: send a batch, declare capabilities."""

    capabilities: Capabilities

    async def send_batch(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        """Send ``messages``; return one result per message, in the same order.

        Must not raise for per-message failures (report them in the results); may raise
        for a failure of the whole batch, which the worker treats as transient.
        """
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...

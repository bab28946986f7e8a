"""Test doubles: an adapter that records what reaches it and fails on a script."""

from __future__ import annotations

from collections.abc import Callable

from userops.dispatch.adapters.base import Capabilities, OutgoingMessage, SendResult


class RecordingAdapter:
    """Records every message handed to it; ``outcome(call_no, msg)`` may fail it."""

    def __init__(
        self,
        channel: str = "sms",
        outcome: Callable[[int, OutgoingMessage], SendResult | None] | None = None,
        *,
        max_batch: int = 100,
    ) -> None:
        self.capabilities = Capabilities(channel, 0.05, 1_000_000.0, 1_000_000, max_batch)
        self.seen: list[OutgoingMessage] = []
        self.calls = 0
        self.outcome = outcome

    async def send_batch(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        self.calls += 1
        out = []
        for m in messages:
            res = self.outcome(self.calls, m) if self.outcome else None
            if res is None:
                self.seen.append(m)
                res = SendResult(
                    m.idempotency_key, True, provider_message_id=f"p-{m.idempotency_key}"
                )
            out.append(res)
        return out

    async def aclose(self) -> None:
        return None

    def keys(self) -> list[str]:
        return [m.idempotency_key for m in self.seen]

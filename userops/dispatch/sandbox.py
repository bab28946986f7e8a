"""The sandbox channel (the default): every hand-over is a Delivery row in the store.

The sandbox is a provider whose idempotency we control: a key already delivered is never
delivered again. The worker calls :meth:`SandboxAdapter.record` inside the same transaction
that marks the outbox row ``sent``, so a crash anywhere leaves both or neither. Receipts and
user responses are simulated later from the hidden propensities by
:func:`simulate_responses` (see :mod:`userops.dispatch.simulate`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from json.encoder import encode_basestring as _STR

from sqlalchemy import Connection, Engine

from userops.dispatch.adapters.base import Capabilities, OutgoingMessage, SendResult
from userops.dispatch.simulate import simulate_responses
from userops.dispatch.sql import fetch, in_list, insert_rows, list_param
from userops.domain import CHANNELS

__all__ = ["SandboxAdapter", "sandbox_adapters", "simulate_responses"]

_COLUMNS = (
    "idempotency_key",
    "channel",
    "user_id",
    "campaign_id",
    "provider_message_id",
    "ts",
    "payload",
)
_PAYLOAD_FIELDS = ("subject", "title", "body", "url", "template_id", "template_fields")
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
"""``json.dumps(..., ensure_ascii=False)`` without building an encoder per call (same text)."""
_TAILS: dict[tuple[object, object], str] = {}


def _tail(variant: object, content_type: object) -> str:
    """The payload's closing members (few distinct values: memoized)."""
    key = (variant, content_type)
    got = _TAILS.get(key)
    if got is None:
        got = f'"variant_id": {_ENCODE(variant)}, "content_type": {_ENCODE(content_type)}}}'
        if len(_TAILS) < 1024:
            _TAILS[key] = got
    return got


def _payload(m: OutgoingMessage) -> str:
    """The delivery's JSON: the text fields that are set, then variant and content type.

    The same text as ``json.dumps(..., ensure_ascii=False)`` of that dict, written piece by
    piece: a string member is one C call (``encode_basestring``) instead of a dict and an
    encoder pass per message (8 -> 2.5 µs; ``tests/dispatch/test_sandbox_payload.py``).
    """
    c = m.content
    parts = ["{"]
    for f in _PAYLOAD_FIELDS:
        v = c.get(f)
        if v:
            parts.append(f'"{f}": {_STR(v) if type(v) is str else _ENCODE(v)}, ')
    parts.append(_tail(c.get("variant_id"), c.get("content_type")))
    return "".join(parts)


class SandboxAdapter:
    """Records deliveries in the store instead of reaching anyone."""

    transactional = True
    """The worker may call :meth:`record` inside its own transaction."""

    def __init__(
        self,
        engine: Engine,
        channel: str = "sms",
        *,
        cost_per_message: float = 0.0,
        rate_per_second: float = 1_000_000.0,
        burst: int = 1_000_000,
        max_batch: int = 10_000,
    ) -> None:
        self.engine = engine
        self.capabilities = Capabilities(
            channel, cost_per_message, rate_per_second, burst, max_batch
        )

    def record(
        self, conn: Connection, messages: list[OutgoingMessage], now: int
    ) -> list[SendResult]:
        """Deliver ``messages`` on ``conn`` (keys delivered before are not delivered again)."""
        keys = [m.idempotency_key for m in messages]
        stmt = "SELECT idempotency_key FROM deliveries WHERE " + in_list(
            conn, "idempotency_key", "text"
        )
        seen: set[str] = set()
        for i in range(0, len(keys), 5000):
            seen.update(r[0] for r in fetch(conn, stmt, [list_param(conn, keys[i : i + 5000])]))
        insert_rows(
            conn,
            "deliveries",
            _COLUMNS,
            [
                (m.idempotency_key, m.channel, m.user_id, m.campaign_id, None, now, _payload(m))
                for m in messages
                if m.idempotency_key not in seen
            ],
        )
        return [SendResult(k, True) for k in keys]

    async def send_batch(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        """Deliver ``messages`` in a transaction of their own."""
        with self.engine.begin() as conn:
            return self.record(conn, messages, int(time.time()))

    async def aclose(self) -> None:
        """Nothing to release."""


def sandbox_adapters(
    engine: Engine, channels: Iterable[str] = CHANNELS, costs: dict[str, float] | None = None
) -> dict[str, SandboxAdapter]:
    """One sandbox adapter per channel (costs from the policy's cost table)."""
    costs = costs or {}
    return {ch: SandboxAdapter(engine, ch, cost_per_message=costs.get(ch, 0.0)) for ch in channels}

"""A circuit breaker per channel, and the delivery deadline of a queued message.

When a provider is down (every message of a hand-over fails transiently, several times in a
row) the worker stops calling it: the breaker *opens* and the channel's claimed rows are
deferred to the end of the cool-down without a hand-over (their ``attempts`` do not grow,
so an outage does not dead-letter them early). After the cool-down the breaker is
*half-open*: one small probe goes out; if it is delivered the breaker closes and the rest
follows, otherwise it opens again for twice as long (up to ``breaker_max_cooldown_seconds``).

While a breaker is open the ``max_attempts`` rule is suspended (failures are the provider's,
not the message's); what bounds the wait is the deadline: a message that could not be
handed over within ``retry.deadline_hours`` of being queued is dead-lettered with the
reason ``expired: ...``. The breaker lives in the worker's memory: one per worker and channel.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Engine

from userops.dispatch.outbox import Claimed
from userops.dispatch.policy import RetryPolicy
from userops.dispatch.sql import fetch, in_list, list_param

State = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Closed → open after ``failures`` failed hand-overs in a row → half-open → closed/open."""

    def __init__(
        self, failures: int = 3, cooldown: float = 30.0, max_cooldown: float = 600.0
    ) -> None:
        self.failures, self.initial, self.max_cooldown = failures, cooldown, max_cooldown
        self.state: State = "closed"
        self.failed = 0
        self.cooldown = cooldown
        self.open_until = 0.0
        self.opened = 0
        """How many times the breaker opened (for the worker's stats)."""
        self.last_error = ""

    @classmethod
    def from_policy(cls, retry: RetryPolicy) -> CircuitBreaker:
        """A breaker with the policy's thresholds."""
        return cls(
            retry.breaker_failures,
            retry.breaker_cooldown_seconds,
            retry.breaker_max_cooldown_seconds,
        )

    def admit(self, now: float, want: int) -> int:
        """How many of ``want`` messages may be handed over now (0 while open, 1 to probe)."""
        if self.state == "open" and now >= self.open_until:
            self.state = "half_open"
        if self.state == "open":
            return 0
        return 1 if self.state == "half_open" else want

    @property
    def is_open(self) -> bool:
        """Whether hand-overs are held back (open, or probing after a failure)."""
        return self.state != "closed"

    def record(self, ok: bool, now: float, error: str = "") -> None:
        """Record one hand-over: ``ok`` when at least one message was accepted."""
        if ok:
            self.state, self.failed, self.cooldown = "closed", 0, self.initial
            return
        self.failed += 1
        self.last_error = error
        if self.state == "half_open":
            self.cooldown = min(self.max_cooldown, self.cooldown * 2)
        elif self.failed < self.failures:
            return
        self.state = "open"
        self.open_until = now + self.cooldown
        self.opened += 1

    def hold(self, rows: list[Claimed], now: int) -> list[dict[str, Any]]:
        """Defer ``rows`` (not handed over) to the end of the cool-down; no attempt counted."""
        nbt = int(max(self.open_until, now + 1))
        reason = f"circuit_open: {self.last_error}"[:64]
        return [
            {"id": r.id, "state": "deferred", "nbt": nbt, "reason": reason, "tries": 0}
            for r in rows
        ]


def expire(engine: Engine, moves: list[dict[str, Any]], retry: RetryPolicy) -> list[dict[str, Any]]:
    """Dead-letter the deferrals that would wait past their row's delivery deadline."""
    deferred = {m["id"]: m for m in moves if m["state"] == "deferred"}
    if not deferred:
        return moves
    limit = int(retry.deadline_hours * 3600)
    with engine.connect() as conn:
        stmt = "SELECT id, created_ts FROM outbox WHERE " + in_list(conn, "id")
        created = dict(fetch(conn, stmt, [list_param(conn, list(deferred))]))
    for rid, m in deferred.items():
        if m["nbt"] > int(created.get(rid) or 0) + limit:
            m["state"] = "dead"
            m["reason"] = f"expired: {m['reason'] or ''}"[:64]
    return moves

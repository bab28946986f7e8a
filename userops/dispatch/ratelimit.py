"""Async token bucket: one per channel, sized from the adapter's Capabilities."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up.

    ``acquire(n)`` waits until ``n`` tokens are available (``n`` larger than ``burst`` is
    taken in ``burst``-sized parts), so a batch of ``n`` messages never exceeds the rate.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError("rate and burst must be positive")
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._last = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

    async def acquire(self, n: int = 1) -> None:
        """Wait until ``n`` tokens have been taken."""
        async with self._lock:
            left = float(n)
            while left > 0:
                part = min(left, self.burst)
                self._refill()
                if self._tokens < part:
                    await self._sleep((part - self._tokens) / self.rate)
                    self._refill()
                self._tokens -= part
                left -= part

    def penalize(self, seconds: float) -> None:
        """Empty the bucket for ``seconds`` (the provider asked us to back off)."""
        self._refill()
        self._tokens = min(self._tokens, 0.0) - seconds * self.rate

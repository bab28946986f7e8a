"""Ride out store failures that may pass: a full disk, a locked database, a lost connection.

A long-running worker must not need a restart because the disk filled for a minute: each
failure that may pass (:func:`userops.store.check.transient`) is logged and waited out,
doubling from the worker's idle sleep up to :data:`MAX_BACKOFF_S`; any other failure, or
one past the allowed count in a row, is raised.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from userops.store.check import store_error_line, transient

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 60.0
"""Longest wait between two tries after store failures in a row."""


class StoreBackoff:
    """Counts store failures in a row; waits after each, raises when they may not pass."""

    def __init__(self, retries: int | None, base_s: float) -> None:
        self.retries = retries
        """Failures in a row to ride out (None: any number, 0: none)."""
        self.base_s = max(base_s, 0.01)
        self.failures = 0

    async def failed(self, exc: Exception, stats: Counter[str]) -> None:
        """Wait after ``exc``, or raise it: not a passing failure, or too many in a row."""
        self.failures += 1
        if not transient(exc) or (self.retries is not None and self.failures > self.retries):
            raise exc
        stats["store_errors"] += 1
        wait = min(MAX_BACKOFF_S, self.base_s * 2 ** (self.failures - 1))
        log.warning("store error (%s); retrying in %.2f s", store_error_line(exc), wait)
        await asyncio.sleep(wait)

    def succeeded(self) -> None:
        """A batch went through: the next failure starts from the shortest wait."""
        self.failures = 0

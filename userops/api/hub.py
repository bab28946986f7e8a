"""In-process fan-out of thread progress to SSE watchers (one app process)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

Event = tuple[str, Any]


class Hub:
    """Publish thread events from any thread; watchers read them from an asyncio queue."""

    def __init__(self) -> None:
        self._subs: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Event]]]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def subscribe(self, thread_id: str) -> Iterator[asyncio.Queue[Event]]:
        """Receive the events of ``thread_id`` while the context is open."""
        q: asyncio.Queue[Event] = asyncio.Queue(maxsize=1000)
        entry = (asyncio.get_running_loop(), q)
        with self._lock:
            self._subs.setdefault(thread_id, set()).add(entry)
        try:
            yield q
        finally:
            with self._lock:
                subs = self._subs.get(thread_id, set())
                subs.discard(entry)
                if not subs:
                    self._subs.pop(thread_id, None)

    def publish(self, thread_id: str, event: str, data: Any) -> None:
        """Send one event to every watcher of ``thread_id`` (dropped for a full queue)."""
        with self._lock:
            subs = list(self._subs.get(thread_id, ()))
        for loop, q in subs:
            loop.call_soon_threadsafe(_offer, q, (event, data))

    def watchers(self) -> int:
        """How many watchers are subscribed."""
        with self._lock:
            return sum(len(s) for s in self._subs.values())


def _offer(q: asyncio.Queue[Event], item: Event) -> None:
    if not q.full():
        q.put_nowait(item)

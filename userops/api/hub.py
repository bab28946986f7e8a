"""Fan-out of thread progress to SSE watchers in every API process, through the store.

A run records its events in ``thread_events`` (:mod:`userops.threads.events`) from whichever
process runs it. Each process has one poller task that, while anyone watches, reads the new
events of the watched threads every ``interval`` seconds (one query for all of them) and hands
each to the watchers of its thread. So a stream opened on one ``userops serve`` worker sees a
run that another worker (or another server on the same store) executes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from userops.api.loop import jsonable
from userops.threads import events as thread_events

Event = tuple[int, str, Any]
"""(id, event name, data)."""
log = logging.getLogger(__name__)


class _Watcher:
    def __init__(self, thread_id: str, after: int) -> None:
        self.thread_id = thread_id
        self.cursor = after
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=1000)


class Hub:
    """Record thread events from any thread; deliver them to watchers of any process."""

    def __init__(self, engine: Engine, interval: float = 0.2) -> None:
        self.engine = engine
        self.interval = interval
        self._watchers: set[_Watcher] = set()
        self._poller: asyncio.Task[None] | None = None

    def publish(self, thread_id: str, event: str, data: Any) -> int:
        """Record one event of ``thread_id`` (called from the thread that runs it).

        Returns the event's id, or 0 when it could not be recorded: followers then miss
        it, but the run itself goes on (a progress note is not worth failing a run for).
        """
        try:
            return thread_events.record(self.engine, thread_id, event, jsonable(data))
        except Exception:
            log.exception("could not record %s event of thread %s", event, thread_id)
            return 0

    def last_id(self, thread_id: str) -> int:
        """Return the id of the newest recorded event of ``thread_id``."""
        return thread_events.last_id(self.engine, thread_id)

    @contextlib.asynccontextmanager
    async def subscribe(self, thread_id: str, after: int) -> AsyncIterator[asyncio.Queue[Event]]:
        """Receive the events of ``thread_id`` with an id above ``after`` while open."""
        w = _Watcher(thread_id, after)
        self._watchers.add(w)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll())
        try:
            yield w.queue
        finally:
            self._watchers.discard(w)

    def watchers(self) -> int:
        """How many watchers are subscribed in this process."""
        return len(self._watchers)

    async def _poll(self) -> None:
        while self._watchers:
            try:
                more = await self._poll_once()
            except Exception:  # a store hiccup must not end every stream
                log.exception("reading thread events failed; retrying")
                more = False
            if not more:
                await asyncio.sleep(self.interval)

    async def _poll_once(self) -> bool:
        watchers = list(self._watchers)
        cursors: dict[str, int] = {}
        for w in watchers:
            cursors[w.thread_id] = min(w.cursor, cursors.get(w.thread_id, w.cursor))
        limit = 1000
        events = await run_in_threadpool(thread_events.since, self.engine, cursors, limit)
        for ev in events:
            for w in watchers:
                if w.thread_id == ev.thread_id and ev.id > w.cursor and not w.queue.full():
                    w.queue.put_nowait((ev.id, ev.event, ev.data))
                    w.cursor = ev.id
        return len(events) >= limit

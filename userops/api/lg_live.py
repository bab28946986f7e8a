"""Runs in progress in this API process: their SSE parts, cancellation and end.

A run's record (status, times) is in the store (:mod:`userops.threads.records`), so any
process answers ``runs.get`` and ``runs.list``; its parts live here, in the process that
runs it, for ``runs.stream`` and ``join_stream``. Cancelling sets a flag the run checks
after every step: it stops at the next node boundary, its checkpoint up to there kept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

KEEP_FINISHED = 200
"""Finished runs whose parts are kept for a late ``join_stream``."""


class Cancelled(Exception):
    """The run was cancelled (``runs.cancel``)."""


@dataclass
class Live:
    """One run in this process."""

    run_id: str
    thread_id: str
    owner: int = 0
    """Which app runs it (``id`` of its services), so that its shutdown stops only its own."""
    cancel: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    parts: list[tuple[str, Any]] = field(default_factory=list)
    error: BaseException | None = None
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def emit(self, event: str, data: Any) -> None:
        """Add one SSE part; raise :class:`Cancelled` when the run was cancelled."""
        with self._cond:
            self.parts.append((event, data))
            self._cond.notify_all()
        self.check()

    def check(self) -> None:
        """Raise :class:`Cancelled` if the run was cancelled."""
        if self.cancel.is_set():
            raise Cancelled(self.run_id)

    def finish(self, error: BaseException | None = None) -> None:
        """Mark the run done (with the error it ended on)."""
        with self._cond:
            self.error = error
            self.done.set()
            self._cond.notify_all()

    def first(self) -> None:
        """Wait for the first part or the end (a run refused at once re-raises its error)."""
        with self._cond:
            self._cond.wait_for(lambda: bool(self.parts) or self.done.is_set())
        if not self.parts and self.error is not None:
            raise self.error

    def _beyond(self, i: int) -> Callable[[], bool]:
        return lambda: len(self.parts) > i or self.done.is_set()

    def follow(self, start: int = 0, modes: list[str] | None = None) -> Iterator[tuple[str, Any]]:
        """The parts from index ``start`` on, as they come, until the run ends."""
        i = start
        while True:
            with self._cond:
                self._cond.wait_for(self._beyond(i), 15.0)
                new, i = self.parts[i:], len(self.parts)
                over = self.done.is_set() and i == len(self.parts)
            for event, data in new:
                if modes is None or event.split("/")[0] in modes or _tuple(event, modes):
                    yield event, data
            if over:
                return


def _tuple(event: str, modes: list[str]) -> bool:
    return event == "messages" and "messages-tuple" in modes


_LIVE: dict[str, Live] = {}
_LOCK = threading.Lock()


def register(run_id: str, thread_id: str, owner: int = 0) -> Live:
    """A new live run."""
    live = Live(run_id, thread_id, owner)
    with _LOCK:
        _LIVE[run_id] = live
        finished = [k for k, v in _LIVE.items() if v.done.is_set()]
        for k in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del _LIVE[k]
    return live


def get(run_id: str) -> Live | None:
    """The live run ``run_id`` of this process, if any."""
    with _LOCK:
        return _LIVE.get(run_id)


def on_thread(thread_id: str) -> list[Live]:
    """This process's unfinished runs of ``thread_id``."""
    with _LOCK:
        return [v for v in _LIVE.values() if v.thread_id == thread_id and not v.done.is_set()]


def spawn(live: Live, work: Callable[[Live], None]) -> threading.Thread:
    """Run ``work(live)`` in a daemon thread; the run is finished whatever happens."""

    def go() -> None:
        try:
            work(live)
        except BaseException as exc:  # handed to whoever waits on the run
            live.finish(exc)
        else:
            live.finish()

    t = threading.Thread(target=go, name=f"lg-run-{live.run_id[:8]}", daemon=True)
    t.start()
    return t


def drain(owner: int, timeout_s: float) -> int:
    """Cancel ``owner``'s unfinished runs and wait up to ``timeout_s`` for them to stop.

    Called at shutdown, before the runtime closes: each run stops at its next node
    boundary, recorded ``interrupted``, instead of failing half way. Returns how many.
    """
    with _LOCK:
        mine = [v for v in _LIVE.values() if v.owner == owner and not v.done.is_set()]
    for live in mine:
        live.cancel.set()
    deadline = time.monotonic() + timeout_s
    for live in mine:
        live.done.wait(max(0.0, deadline - time.monotonic()))
    return len(mine)

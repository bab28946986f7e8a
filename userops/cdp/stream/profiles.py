"""Profiles follow ingestion: the records a request touched get their traits updated.

After a request's commit (and its 200) the records it touched are queued; one background
thread per store runs :func:`userops.cdp.traits_incremental.apply_events` on everything
queued since its last run, so a burst of batches is one set-based update and ingestion never
waits for trait computation. A trait row lags its events by about one update (a fraction of
a second to a few seconds under load). Queued records of a process that dies are not
updated until their next event or the next full build (``userops profiles build``), which
recomputes every row: the events themselves are never lost.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Engine

log = logging.getLogger(__name__)
Apply = Callable[[Engine, list[int]], Any]
PAUSE_S = 0.2
"""Pause after each update, so that the records of the next requests coalesce."""


def _apply_events(engine: Engine, user_ids: list[int]) -> Any:
    from userops.cdp.traits_incremental import apply_events

    return apply_events(engine, user_ids)


class ProfileUpdates:
    """A queue of records whose traits are due, drained by one daemon thread."""

    def __init__(self, engine: Engine, apply: Apply = _apply_events) -> None:
        self._engine = engine
        self._apply = apply
        self._pending: set[int] = set()
        self._busy = False
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self.updates = 0
        """Updates run so far."""
        self.failures = 0
        """Updates that raised (logged; their records wait for their next event)."""

    def add(self, user_ids: Iterable[int]) -> None:
        """Queue records for an update (starts the thread on first use)."""
        with self._cv:
            self._pending.update(user_ids)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="userops-profile-updates", daemon=True
                )
                self._thread.start()
            self._cv.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is queued or being applied; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(left)
        return True

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._pending:
                    self._cv.wait()
                ids, self._pending = sorted(self._pending), set()
                self._busy = True
            try:
                self._apply(self._engine, ids)
                self.updates += 1
            except Exception:
                self.failures += 1
                log.exception(
                    "profile update of %d records failed (their events are stored)", len(ids)
                )
            finally:
                with self._cv:
                    self._busy = False
                    self._cv.notify_all()
            time.sleep(PAUSE_S)


_updaters: weakref.WeakKeyDictionary[Engine, ProfileUpdates] = weakref.WeakKeyDictionary()
_guard = threading.Lock()


def updates_for(engine: Engine) -> ProfileUpdates:
    """The profile-update queue of ``engine`` (one per store and process)."""
    with _guard:
        found = _updaters.get(engine)
        if found is None:
            found = _updaters[engine] = ProfileUpdates(engine)
        return found

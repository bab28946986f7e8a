"""Profiles follow ingestion: the records a request touched get their traits updated.

Each ingest transaction marks the records it touched in the store
(:func:`userops.cdp.traits.due.mark`, committed with the events). After the commit (and the
200) the request wakes one background thread per store and process, which runs
:func:`userops.cdp.traits.due.catch_up`: every mark committed so far, by any worker, is
applied with :func:`~userops.cdp.traits.incremental.apply_events` and deleted in the same
transaction. A burst of requests is one set-based update and ingestion never waits for trait
computation; a trait row lags its events by at most about one update plus the wait for the
next (:data:`PERIOD_S`; docs/ingest.md gives the measured figures). On SQLite an update
queues with the requests of its process on one lock (:func:`.batch.turn`). A process
killed before the update leaves the marks in the store: every ``serve`` worker wakes its
thread at start-up, and ``userops worker run`` catches up when it starts.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from userops.cdp.stream.batch import turn

log = logging.getLogger(__name__)
Work = Callable[[Engine], Any]
PERIOD_S = 0.25
"""Shortest time between the starts of two catch-ups: after a short one the thread waits for
the rest of the period, so that the marks of the next requests coalesce into one update."""
GAP_S = 0.03
"""Shortest pause after a catch-up (one that took longer than :data:`PERIOD_S` is followed
at once by the marks that piled up meanwhile): the requests waiting for the store go first."""


def _catch_up(engine: Engine) -> Any:
    from userops.cdp.traits.due import catch_up

    return catch_up(engine)


class ProfileUpdates:
    """A wake-up flag and one daemon thread that catches up on the store's marks."""

    def __init__(self, engine: Engine, work: Work = _catch_up) -> None:
        self._engine = engine
        self._work = work
        self._due = False
        self._busy = False
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self.updates = 0
        """Catch-ups run so far."""
        self.failures = 0
        """Catch-ups that raised (logged; their marks stay for the next one)."""

    def wake(self) -> None:
        """Ask for a catch-up (starts the thread on first use)."""
        with self._cv:
            self._due = True
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="userops-profile-updates", daemon=True
                )
                self._thread.start()
            self._cv.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no catch-up is asked for or running; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while self._due or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(left)
        return True

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._due:
                    self._cv.wait()
                self._due, self._busy = False, True
            began = time.monotonic()
            try:
                with turn(self._engine):
                    self._work(self._engine)
                self.updates += 1
            except Exception:
                self.failures += 1
                log.exception("profile update failed (the marks stay for the next catch-up)")
            finally:
                with self._cv:
                    self._busy = False
                    self._cv.notify_all()
            time.sleep(max(GAP_S, PERIOD_S - (time.monotonic() - began)))


_updaters: weakref.WeakKeyDictionary[Engine, ProfileUpdates] = weakref.WeakKeyDictionary()
_guard = threading.Lock()


def updates_for(engine: Engine) -> ProfileUpdates:
    """The profile-update thread of ``engine`` (one per store and process)."""
    with _guard:
        found = _updaters.get(engine)
        if found is None:
            found = _updaters[engine] = ProfileUpdates(engine)
        return found

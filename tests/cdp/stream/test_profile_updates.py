"""The profile-update thread: when catch-ups start, and the store lock they share with ingest.

On SQLite a catch-up holds the process's ingest lock (``batch.turn``), so that requests and
updates queue on it instead of sleeping in SQLite's busy handler. Catch-ups start at most once
per ``PERIOD_S`` (the marks of the next requests coalesce) and never closer than ``GAP_S``.
These are lower bounds on waits, not speeds: a slow machine only lengthens them.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine

from userops.cdp.stream import profiles
from userops.cdp.stream.batch import turn


def test_a_catch_up_holds_the_ingest_lock_of_a_sqlite_store(sqlite_engine: Engine) -> None:
    held: list[bool] = []
    ingest_waited = threading.Event()

    def ingest_request() -> None:
        with turn(sqlite_engine):
            pass

    def work(engine: Engine) -> None:
        held.append(turn(engine).locked())
        request = threading.Thread(target=ingest_request)
        request.start()  # an ingest request arriving during the update waits for it
        request.join(0.2)
        if request.is_alive():
            ingest_waited.set()

    updates = profiles.ProfileUpdates(sqlite_engine, work)
    updates.wake()
    assert updates.wait_idle(10)
    assert held == [True] and ingest_waited.is_set()
    with turn(sqlite_engine):  # released after the update: the request got it
        pass


def test_short_catch_ups_start_once_per_period_long_ones_after_a_gap(
    sqlite_engine: Engine,
) -> None:
    starts: list[float] = []
    slow = threading.Event()

    def work(_engine: Engine) -> None:
        starts.append(time.monotonic())
        if slow.is_set():
            time.sleep(profiles.PERIOD_S + 0.05)

    updates = profiles.ProfileUpdates(sqlite_engine, work)
    updates.wake()
    assert updates.wait_idle(10)
    updates.wake()  # asked for at once: starts only when the period is over
    assert updates.wait_idle(10)
    assert starts[1] - starts[0] >= profiles.PERIOD_S
    slow.set()
    time.sleep(profiles.PERIOD_S)
    updates.wake()
    assert updates.wait_idle(10)
    updates.wake()  # after a catch-up longer than the period: only the gap
    assert updates.wait_idle(10)
    assert starts[3] - starts[2] >= profiles.PERIOD_S + 0.05 + profiles.GAP_S
    assert updates.failures == 0 and updates.updates == 4

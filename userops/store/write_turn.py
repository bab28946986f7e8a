"""A cross-process turn for the hot SQLite writers: a blocking lock that wakes on release.

SQLite's busy handler polls: a writer that finds the store locked sleeps 1, 2, 5, 10, 15,
20, 25 ... 100 ms between tries, so with three writers at once (an enqueue and two
workers, the deployment's normal case while a campaign goes out) a core sits idle while the
lock is free. The dispatch engine's writers (the enqueue's chunk writer; the worker's claim,
send and transition transactions) first take an exclusive ``flock`` on
``<store>.write-turn``: the kernel hands it to the next waiter as soon as the holder lets go
or dies (a killed process's lock goes with it). Writers that do not take it still meet
SQLite's own lock, so correctness never depends on it. Take it before the transaction
begins and never inside another turn (each use opens its own descriptor, so a second turn in
the same thread would wait for the first). A no-op for PostgreSQL and in-memory stores.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine

from userops.store.engine import sqlite_file


def turn_path(engine: Engine) -> Path | None:
    """The lock file of a SQLite file store (``None``: no turn needed)."""
    store = sqlite_file(engine)
    return None if store is None else store.with_name(store.name + ".write-turn")


@contextmanager
def write_turn(engine: Engine) -> Iterator[None]:
    """Hold the store's write turn for the ``with`` block (see the module docstring)."""
    path = turn_path(engine)
    if path is None:
        yield
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # a read-only directory: SQLite's own lock still serialises the writers
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock

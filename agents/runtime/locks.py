"""One run per thread at a time: a file lock (SQLite) or an advisory lock (PostgreSQL).

Open-source LangGraph lets two runs on one thread race; the runtime takes this lock around
every run and a second caller gets :class:`~userops.errors.Conflict` at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agents.runtime.checkpoint import is_postgres, libpq_url, sqlite_path
from userops.errors import Conflict, ThreadBusy

_MEMORY_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


def _conflict(thread_id: str) -> Conflict:
    return ThreadBusy(
        f"thread {thread_id} is already running; wait for it to finish or stop at the gate",
        current=thread_id,
    )


def lock_key(thread_id: str) -> int:
    """Return the signed 64-bit advisory-lock key of ``thread_id``."""
    digest = hashlib.sha256(f"userops-thread:{thread_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def thread_lock(thread_id: str, url: str) -> Iterator[None]:
    """Hold the lock of ``thread_id`` for the checkpoint store at ``url``.

    Raises:
        Conflict: another run holds it.
    """
    if is_postgres(url):
        with _pg_lock(thread_id, url):
            yield
        return
    path = sqlite_path(url)
    if path == ":memory:":
        with _memory_lock(thread_id):
            yield
        return
    with _file_lock(thread_id, Path(path).parent / "locks"):
        yield


@contextmanager
def _memory_lock(thread_id: str) -> Iterator[None]:
    with _GUARD:
        lock = _MEMORY_LOCKS.setdefault(thread_id, threading.Lock())
    if not lock.acquire(blocking=False):
        raise _conflict(thread_id)
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _file_lock(thread_id: str, directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(thread_id.encode()).hexdigest()[:32]
    fd = os.open(directory / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _conflict(thread_id) from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def _pg_lock(thread_id: str, url: str) -> Iterator[None]:
    import psycopg

    key = lock_key(thread_id)
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        if not row or not row[0]:
            raise _conflict(thread_id)
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

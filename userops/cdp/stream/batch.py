"""One ingestion request: validate every message, write the good ones in one transaction.

The transaction also marks the records it touched (:func:`userops.cdp.traits.due.mark`):
their traits are updated after the commit, and a process killed before that leaves the mark
for the next catch-up. The answer is given only after the commit, so an acknowledged message
survives a killed process (SQLite in WAL mode and PostgreSQL both make a committed
transaction durable against a process crash). The transaction is retried on a deadlock or a
busy store; when it still fails nothing was written and
:class:`~userops.errors.NotRecorded` (503, retryable) is raised. On SQLite the requests of
one process take turns on a lock (rather than spinning on the database's busy timeout, or
fighting over the GIL); on PostgreSQL several workers and threads write at once.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from userops.cdp.stream import identify, write
from userops.cdp.stream.accept import Accepted, Refused, accept_batch, accept_one, decode
from userops.cdp.stream.fields import Rejection
from userops.cdp.stream.sources import Sender
from userops.cdp.stream.spec import MAX_REPORTED
from userops.cdp.traits import due as traits_due
from userops.errors import NotRecorded

log = logging.getLogger(__name__)
ATTEMPTS = 4
_RETRY = ("deadlock", "could not serialize", "database is locked", "database table is locked")
_locks: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


@dataclass
class Outcome:
    """What a request did."""

    received: int = 0
    """Messages in the request."""
    stored: int = 0
    """Messages that changed the store (new events, identify and alias applied)."""
    duplicates: int = 0
    """Valid messages already stored (a retry): they changed nothing."""
    rejected: list[Rejection] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    """Records touched (their traits are due, marked in the store: :mod:`.profiles`)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON answer (Segment's ``success``, the counts, the first rejections)."""
        out: dict[str, Any] = {
            "success": not self.rejected,
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
        }
        if self.rejected:
            n = len(self.rejected)
            out["code"] = "invalid_request"
            out["message"] = (
                f"{n} of {self.received} messages refused (each listed with its index and"
                f" field); the other {self.received - n} were accepted"
            )
            out["rejected"] = n
            out["errors"] = [r.to_dict() for r in self.rejected[:MAX_REPORTED]]
        return out


def ingest(
    engine: Engine,
    sender: Sender,
    body: bytes,
    *,
    kind: str = "batch",
    encoding: str | None = None,
    received: float | None = None,
) -> Outcome:
    """Validate and store one request body (``kind``: ``batch`` or a message type).

    Raises:
        Refused: the body as a whole is unreadable, or (single message) the message is bad.
        NotRecorded: the store could not commit; nothing was written.
    """
    now = time.time() if received is None else received
    # SQLite: one request of this process at a time, parsing included; interleaved, a parsing
    # thread and the writing one (which lets go of the GIL at every row) slow each other down.
    with turn(engine), paused_gc():
        raw, data, lenient = decode(body, encoding)
        if kind == "batch":
            good, bad, total = accept_batch(raw, data, now, lenient=lenient)
        else:
            good, bad, total = [accept_one(raw, data, now, kind, lenient=lenient)], [], 1
        out = Outcome(received=total, rejected=bad)
        if good:
            out.stored, touched = store(engine, sender, good, int(now))
            out.duplicates = len(good) - out.stored
            out.user_ids = sorted(touched)
    return out


_gc_users = 0
_gc_was_enabled = False
_gc_guard = threading.Lock()


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic collector while any request thread is inside (counted, thread-safe).

    A batch allocates tens of thousands of acyclic dicts and tuples; in a server whose heap
    holds millions of objects, the collections they trigger cost more than the work itself.
    The collector runs again as soon as no request is inside.
    """
    global _gc_users, _gc_was_enabled
    with _gc_guard:
        if _gc_users == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_guard:
            _gc_users -= 1
            if _gc_users == 0 and _gc_was_enabled:
                gc.enable()


def store(
    engine: Engine, sender: Sender, items: list[Accepted], received_ts: int
) -> tuple[int, set[int]]:
    """Write ``items`` in one transaction (retried); return (messages stored, records)."""
    for attempt in range(ATTEMPTS):
        try:
            with engine.begin() as conn:
                return _write(conn, sender, items, received_ts)
        except IntegrityError as exc:
            log.exception("ingest refused by the store")
            first = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
            raise Refused("batch", f"the store refused it, nothing was written ({first})") from None
        except DBAPIError as exc:
            text = str(exc.orig).lower()
            if attempt + 1 < ATTEMPTS and any(s in text for s in _RETRY):
                time.sleep(0.05 * (attempt + 1))
                continue
            log.exception("ingest could not commit")
            raise NotRecorded(
                "the store could not record the events; nothing was written"
            ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def turn(engine: Engine) -> Any:
    """The in-process write lock of a SQLite store: ingest requests and profile updates.

    Queuing on it instead of on SQLite's busy handler (which sleeps up to 100 ms between
    tries) hands the store over as soon as it is free. A no-op elsewhere: PostgreSQL workers
    and threads write at once, their waits on the server overlap.
    """
    if engine.dialect.name != "sqlite":
        return _NoLock()
    with _locks_guard:
        lock = _locks.get(engine)
        if lock is None:
            lock = _locks[engine] = threading.Lock()
    return lock


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


def _write(
    conn: Connection, sender: Sender, items: list[Accepted], received_ts: int
) -> tuple[int, set[int]]:
    if conn.dialect.name == "sqlite":  # take the write lock first: no stale read snapshot
        conn.exec_driver_sql("UPDATE sources SET id = id WHERE 0")
    stored, touched = _events(conn, sender, [a for a in items if a.row is not None])
    slow = [(a.msg, a.profile) for a in items if a.msg.type in ("identify", "alias")]
    if slow:  # after the events: an alias finds the records this batch made
        applied, records = identify.apply(conn, sender, slow, received_ts)
        stored += applied
        touched |= records
    if stored:  # their traits are due: a durable mark, committed with the events
        traits_due.mark(conn, touched, received_ts)
    return stored, touched


def _events(conn: Connection, sender: Sender, events: list[Accepted]) -> tuple[int, set[int]]:
    """Insert the events (their records made on first sight); return (new events, records)."""
    if not events:
        return 0, set()
    known: dict[str, write.FirstSight] = {}
    anonymous: dict[str, write.FirstSight] = {}
    for a in events:
        m = a.msg
        if m.user_id is not None:
            if m.user_id not in known:
                known[m.user_id] = write.first_sight(m)
        elif m.anonymous_id is not None and m.anonymous_id not in anonymous:
            anonymous[m.anonymous_id] = write.first_sight(m)
    ids = write.user_records(conn, sender, known) if known else {}
    anon = write.anonymous_records(conn, sender, anonymous) if anonymous else {}
    rows = []
    for a in events:
        m = a.msg
        uid = ids[m.user_id] if m.user_id is not None else anon[m.anonymous_id or ""]
        rows.append((uid, m.message_id, a.row))
        if a.consents:
            identify.set_consents(conn, sender, m, uid, a.consents)
    stored = write.insert_events(conn, sender, rows)  # type: ignore[arg-type]
    return stored, {*ids.values(), *anon.values()}


__all__ = ["Outcome", "Refused", "ingest", "store", "turn"]

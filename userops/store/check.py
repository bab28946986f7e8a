"""Is the store usable? Start-up refusal, the health probe, and which failures pass.

* :func:`check_store` runs when a process opens the store (``serve``, every CLI command,
  the API): a store that cannot be read, is damaged, or is read-only is refused with one
  line naming it (:class:`StoreUnavailable`) instead of failing later, mid-dispatch.
* :func:`probe` is ``/health``'s check: reads of the key tables and SQLite's
  ``PRAGMA quick_check`` within a time budget (``deep``: the full ``integrity_check``).
* :func:`transient` tells a failure that may pass (disk full, database locked, I/O error,
  connection lost) from one that will not (a damaged file, a missing table), so that a
  worker backs off and retries the first kind only.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from userops.errors import UseropsError

KEY_TABLES = ("alembic_version", "store_meta", "users", "campaigns", "approvals", "outbox")
"""Read at every probe: a store that cannot read these cannot run the loop."""
START_BUDGET_S = 0.5
"""Time ``PRAGMA quick_check`` may take when a process opens the store."""
HEALTH_BUDGET_S = 0.2
"""Time it may take per ``/health`` call."""
_PASSING = {"SQLITE_FULL", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_PROTOCOL", "SQLITE_CANTOPEN"}
"""SQLite errors that may pass by themselves (with every ``SQLITE_IOERR_*``)."""
_PASSING_TEXT = {
    "database or disk is full",
    "database is locked",
    "database table is locked",
    "disk I/O error",
    "unable to open database file",
}
"""Their messages (an error re-raised without the driver's ``sqlite_errorname``)."""


class StoreUnavailable(UseropsError):
    """The store cannot be used: unreadable, damaged or read-only (names the store)."""


def describe(engine: Engine) -> str:
    """The store as a person finds it: the SQLite file's path, or the URL without password."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        db = url.database or ":memory:"
        return db.removeprefix("file:").split("?", 1)[0]
    return url.render_as_string(hide_password=True)


def _orig(exc: BaseException) -> BaseException:
    return exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc


def store_error_line(exc: BaseException) -> str:
    """The driver's message of a store failure, on one line (no SQL, no parameters)."""
    orig = _orig(exc)
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return first[:300]


def transient(exc: BaseException) -> bool:
    """True when ``exc`` is a store failure that may pass: retry it later, do not give up."""
    orig = _orig(exc)
    if isinstance(orig, sqlite3.Error):
        name = getattr(orig, "sqlite_errorname", None)
        if name is None:  # raised by hand, not by the driver: its message says which
            return str(orig).strip() in _PASSING_TEXT
        return name in _PASSING or str(name).startswith("SQLITE_IOERR")
    import psycopg  # a dependency; imported here so SQLite-only runs do not load it

    # class 08 connection, 53 insufficient resources (disk full), 57 shutdown, 58 system
    return isinstance(orig, psycopg.OperationalError)


def is_store_error(exc: BaseException) -> bool:
    """True when ``exc`` is the store failing (not a constraint or a bad statement)."""
    orig = _orig(exc)
    if isinstance(orig, sqlite3.Error):
        return type(orig) in (sqlite3.OperationalError, sqlite3.DatabaseError)
    import psycopg

    return isinstance(orig, psycopg.OperationalError)


@contextmanager
def _budget(conn: Connection, seconds: float | None) -> Iterator[None]:
    """Interrupt SQLite statements on ``conn`` after ``seconds`` (None: no limit)."""
    raw: Any = conn.connection.dbapi_connection
    if seconds is None or conn.dialect.name != "sqlite":
        yield
        return
    deadline = time.monotonic() + seconds
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 20_000)
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)


def _integrity(conn: Connection, *, deep: bool, budget_s: float | None) -> tuple[str, bool]:
    """``("ok" | problems, complete)`` of SQLite's quick (or full) integrity check."""
    pragma = "integrity_check(5)" if deep else "quick_check(5)"
    try:
        with _budget(conn, budget_s):
            rows = [str(r[0]) for r in conn.exec_driver_sql(f"PRAGMA {pragma}")]
    except DBAPIError as exc:
        if "interrupted" in str(exc.orig):
            return "ok", False
        raise
    return "; ".join(rows)[:300], True


def _read_keys(conn: Connection, *, count: bool) -> None:
    for table in KEY_TABLES:
        what = "count(*)" if count else "1"
        conn.execute(text(f"SELECT {what} FROM {table}" + ("" if count else " LIMIT 1")))


def probe(
    engine: Engine, *, deep: bool = False, budget_s: float = HEALTH_BUDGET_S
) -> dict[str, Any]:
    """Check the store without raising: ``{"ok", "check", "complete", "error", "ms"}``.

    SQLite: the key tables answer a read, then ``PRAGMA quick_check`` runs for at most
    ``budget_s`` (``complete`` False when the budget ran out first: the pages it reached
    were sound). ``deep``: ``PRAGMA integrity_check`` to the end. PostgreSQL: the key
    tables answer a read (``deep``: a full count of each, which reads every page).
    """
    t0 = time.perf_counter()
    sqlite = engine.dialect.name == "sqlite"
    out: dict[str, Any] = {"ok": True, "check": "read", "complete": True, "error": None}
    try:
        with engine.connect() as conn:
            _read_keys(conn, count=deep and not sqlite)
            if sqlite:
                out["check"] = "integrity_check" if deep else "quick_check"
                result, out["complete"] = _integrity(
                    conn, deep=deep, budget_s=None if deep else budget_s
                )
                if result != "ok":
                    out.update(ok=False, error=f"damaged: {result}")
    except (DBAPIError, sqlite3.Error) as exc:
        out.update(ok=False, error=store_error_line(exc))
    out["ms"] = round((time.perf_counter() - t0) * 1000, 1)
    return out


def _read_only(conn: Connection) -> bool:
    """True when the store refuses writes (a write that changes nothing is tried)."""
    if conn.dialect.name == "postgresql":
        row = conn.execute(
            text("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")
        ).one()
        return bool(row[0]) or row[1] == "on"
    conn.exec_driver_sql("PRAGMA busy_timeout=0")  # another writer busy: writable, move on
    try:
        conn.execute(text("UPDATE store_meta SET key = key WHERE 1 = 0"))
        conn.commit()
    except DBAPIError as exc:
        conn.rollback()
        if "readonly" in str(getattr(exc.orig, "sqlite_errorname", "")).lower():
            return True
        if not transient(exc):
            raise
    finally:
        conn.exec_driver_sql("PRAGMA busy_timeout=30000")
    return False


def check_store(engine: Engine, *, budget_s: float = START_BUDGET_S) -> None:
    """Refuse a store that cannot be read, is damaged or is read-only.

    Raises:
        StoreUnavailable: one line naming the store and what is wrong with it.
    """
    where = describe(engine)
    found = probe(engine, budget_s=budget_s)
    if not found["ok"]:
        raise StoreUnavailable(f"store {where} cannot be used: {found['error']}")
    try:
        with engine.connect() as conn:
            read_only = _read_only(conn)
    except (DBAPIError, sqlite3.Error) as exc:
        raise StoreUnavailable(f"store {where} cannot be used: {store_error_line(exc)}") from None
    if read_only:
        raise StoreUnavailable(f"store {where} is read-only: userops needs to write to it")

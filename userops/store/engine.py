"""Engine factory and migrations: one function to get a ready store from a URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA cache_size=-200000")
    cur.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` (SQLite gets WAL and a busy timeout)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgresql+psycopg://"):
        # No server-side prepared statements: a generic plan gets id arrays as parameters,
        # which PostgreSQL cannot hash, so "= ANY(%s)" compared every scanned row with the
        # whole batch. Enqueueing 200k recipients took 72 s with them, 12 s without.
        kwargs.setdefault("connect_args", {}).setdefault("prepare_threshold", None)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def sqlite_file(engine: Engine) -> Path | None:
    """The resolved file of a SQLite file store (``None``: another store, in memory or a URI)."""
    db = engine.url.database
    if engine.dialect.name != "sqlite" or not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db).resolve()


def alembic_config(engine: Engine) -> Config:
    """Return an Alembic config bound to ``engine``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


MIGRATION_LOCK = (0x75736572, 2)
"""PostgreSQL advisory-lock key (two-int form) held while migrating."""


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema of ``engine`` up to ``revision`` (idempotent).

    On PostgreSQL under an advisory lock: ``userops serve --workers N`` starts N processes
    that all migrate at once, and without it all but one failed (``DuplicateTable``).
    """
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), revision)
        return
    import time

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        lock = text("SELECT pg_try_advisory_lock(:a, :b)")
        while not conn.execute(lock, {"a": MIGRATION_LOCK[0], "b": MIGRATION_LOCK[1]}).scalar():
            time.sleep(0.05)  # polled: a waiter inside pg_advisory_lock would hold a snapshot
        try:
            command.upgrade(alembic_config(engine), revision)
        finally:
            conn.execute(
                text("SELECT pg_advisory_unlock(:a, :b)"),
                {"a": MIGRATION_LOCK[0], "b": MIGRATION_LOCK[1]},
            )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory that keeps objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def open_store(url: str | None = None, *, check: bool = True) -> Engine:
    """Open the configured store (or ``url``), migrate it to head and check it.

    Raises:
        StoreUnavailable: the store cannot be opened or migrated, or (``check``) it is
            damaged or read-only (:func:`userops.store.check.check_store`); one line that
            names the store.
    """
    import sqlite3

    from sqlalchemy.exc import DBAPIError

    from userops.settings import get_settings
    from userops.store.check import StoreUnavailable, check_store, describe, store_error_line

    engine = make_engine(url or get_settings().resolved_database_url())
    try:
        upgrade(engine)
        if check:
            check_store(engine)
    except (DBAPIError, sqlite3.Error) as exc:
        engine.dispose()
        where = describe(engine)
        raise StoreUnavailable(f"store {where} cannot be used: {store_error_line(exc)}") from None
    except StoreUnavailable:
        engine.dispose()
        raise
    return engine

"""Bulk writing of generated rows: one transaction, raw driver calls, indexes built last.

SQLite gets ``executemany`` in big batches with ``synchronous=OFF`` for the load; PostgreSQL
gets ``COPY ... FROM STDIN`` through psycopg. In both, the non-unique indexes of ``events`` and
``identities`` are dropped before the load and recreated (same definitions, from the models)
after it, inside the same transaction: an error leaves the store exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from sqlalchemy import Engine, Index
from sqlalchemy.schema import CreateIndex, DropIndex

from userops.store.bulk import copy_rows, store_indexes
from userops.store.models import Event, Identity

DEFERRED_TABLES = (Event.__table__, Identity.__table__)
"""Tables whose non-unique indexes are dropped for the load and built after it."""
_COUNT_TRIGGERS = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events' "
    "AND name LIKE 'event_counts%'"
)
RECOUNT = (
    "INSERT INTO event_counts (type, user_id, n) "
    "SELECT type, user_id, count(*) FROM events GROUP BY type, user_id"
)
"""``event_counts`` from ``events`` (as migration 0018 backfills it). A large SQLite load
drops the row triggers that keep the counts (~60 µs an event) and recounts once instead."""


class Writer(Protocol):
    """Appends rows to a table inside the load's transaction."""

    def execute(self, sql: str) -> None:
        """Run one SQL statement inside the load's transaction."""

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
        """Insert ``rows`` (tuples in ``columns`` order) into ``table``."""


class SqliteWriter:
    """``executemany`` on the raw sqlite3 connection."""

    def __init__(self, dbapi: Any) -> None:
        self.cur = dbapi.cursor()

    def execute(self, sql: str) -> None:
        """Run one SQL statement."""
        self.cur.execute(sql)

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
        """Insert ``rows`` into ``table``."""
        marks = ",".join("?" * len(columns))
        self.cur.executemany(f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})", rows)


class PostgresWriter:
    """``COPY FROM STDIN`` through psycopg 3."""

    def __init__(self, dbapi: Any) -> None:
        self.cur = dbapi.cursor()

    def execute(self, sql: str) -> None:
        """Run one SQL statement."""
        self.cur.execute(sql)

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
        """Copy ``rows`` into ``table``."""
        copy_rows(self.cur, table, columns, rows)


def _deferred_indexes(dialect: str) -> list[Index]:
    """The non-unique indexes of :data:`DEFERRED_TABLES` that ``dialect``'s store has."""
    found = [ix for t in DEFERRED_TABLES for ix in store_indexes(t, dialect) if not ix.unique]
    return sorted(found, key=lambda ix: str(ix.name))


@contextmanager
def bulk_load(engine: Engine, *, rebuild_indexes: bool = True) -> Iterator[Writer]:
    """Open one transaction on a raw connection and yield a writer for it.

    On success the indexes are rebuilt and the transaction committed; on any error it is
    rolled back. ``rebuild_indexes=False`` keeps the indexes in place (small loads).
    """
    raw = engine.raw_connection()
    dbapi: Any = raw.driver_connection
    dialect = engine.dialect
    sqlite = dialect.name == "sqlite"
    indexes = _deferred_indexes(dialect.name) if rebuild_indexes else []
    cur = dbapi.cursor()
    cache: int | None = None
    try:
        if sqlite:
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA foreign_keys=OFF")  # rows are consistent by construction
            cache = int(cur.execute("PRAGMA cache_size").fetchone()[0])
            cur.execute("PRAGMA cache_size=-1000000")  # 1 GB for the load and the index sorts
            cur.execute("BEGIN")
        triggers = cur.execute(_COUNT_TRIGGERS).fetchall() if sqlite and indexes else []
        for name, _ in triggers:
            cur.execute(f"DROP TRIGGER {name}")
        for ix in indexes:
            cur.execute(str(DropIndex(ix).compile(dialect=dialect)))
        yield SqliteWriter(dbapi) if sqlite else PostgresWriter(dbapi)
        if sqlite:
            cur.execute("PRAGMA threads=4")  # let the sorter of CREATE INDEX use helpers
        for ix in indexes:
            cur.execute(str(CreateIndex(ix).compile(dialect=dialect)))
        if triggers:  # same transaction: no other writer sees them missing
            cur.execute("DELETE FROM event_counts")
            cur.execute(RECOUNT)
            for _, sql in triggers:
                cur.execute(sql)
        if not sqlite:
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('users', 'id'), "
                "(SELECT coalesce(max(id), 0) + 1 FROM users), false)"
            )
        dbapi.commit()
    except BaseException:
        dbapi.rollback()
        raise
    finally:
        if sqlite:
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA threads=0")
            if cache is not None:
                cur.execute(f"PRAGMA cache_size={cache}")
        cur.close()
        raw.close()

"""Hand Arrow data to a SQLite connection in bulk: a scratch database file, ATTACHed.

Binding Python values row by row costs more than the inserts themselves. The ADBC SQLite
driver writes Arrow columns into a scratch database file straight from their buffers (no
Python objects), on a background thread while the caller prepares the next batch; the store
connection then ATTACHes that file and reads it with plain SQL inside its own transaction, so
the store is changed in one transaction or not at all. The scratch file lives beside the
store, is never part of it, and is deleted afterwards. Its owner holds an ``flock`` on it,
so a file left by a killed process (unlocked) is removed by the next run.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import adbc_driver_sqlite.dbapi as adbc
import pyarrow as pa
from sqlalchemy import Connection, Engine

from userops.errors import UsageError

SCHEMA = "import_stage"
"""Name the scratch database is ATTACHed under."""
PREFIX = ".userops-stage-"


class Scratch:
    """A scratch SQLite table filled with Arrow data on a background thread.

    Use it as a context manager (the file is removed on exit); ``add`` batches, ``reset`` to
    start over, then ``attached(conn)`` around the transaction that reads the table.
    An inert scratch (``enabled=False``, for PostgreSQL stores) ignores all of it.
    """

    def __init__(self, engine: Engine, create: str, *, enabled: bool = True) -> None:
        """Prepare a scratch table for ``engine``'s store.

        Args:
            engine: The store (the scratch file goes into its folder).
            create: ``CREATE TABLE`` statement of the scratch table; batches are appended by
                column name, in order (an ``INTEGER PRIMARY KEY`` column numbers the rows).
            enabled: False for an inert scratch.
        """
        self.engine = engine
        self.create = create
        self.table = create.split("(", 1)[0].split()[-1]
        self.enabled = enabled
        self.path: Path | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []
        self._db: Any = None
        self._fd = -1

    def __enter__(self) -> Scratch:
        """Create the scratch file and the writer thread."""
        if self.enabled:
            folder = _folder(self.engine)
            _sweep(folder)
            fd, name = tempfile.mkstemp(prefix=PREFIX, suffix=".new", dir=folder)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # ours while the process lives
            self._fd = fd
            self.path = Path(name).with_suffix(".db")
            os.rename(name, self.path)  # only locked files carry the name _sweep looks for
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="userops-stage")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop the writer thread and remove the scratch file."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            os.close(self._fd)

    def add(self, data: pa.RecordBatch | pa.Table) -> None:
        """Append ``data`` to the scratch table (on the writer thread)."""
        if self._pool is not None:
            self._pending.append(self._pool.submit(self._append, data))

    def reset(self) -> None:
        """Drop what was added so far."""
        if self._pool is not None:
            self._drain()
            self._pending.append(self._pool.submit(self._recreate))

    @contextmanager
    def attached(self, conn: Connection) -> Iterator[None]:
        """ATTACH the finished scratch table to ``conn`` (outside a transaction) for the block.

        Raises:
            UsageError: ``conn`` is inside a transaction (ATTACH cannot run there).
        """
        if not self.enabled:
            yield
            return
        raw = _outside_transaction(conn, "Scratch.attached()")
        self._drain()
        self._cursor().close()  # creates the table if nothing was added (the writer is idle)
        self._close()
        raw.execute(f"ATTACH DATABASE ? AS {SCHEMA}", (str(self.path),))
        try:
            raw.execute(f"PRAGMA {SCHEMA}.journal_mode=OFF")
            raw.execute(f"PRAGMA {SCHEMA}.synchronous=OFF")
            yield
        finally:
            raw.execute(f"DETACH DATABASE {SCHEMA}")

    def _drain(self) -> None:
        """Wait for the writer thread; its errors are raised here."""
        pending, self._pending = self._pending, []
        for job in pending:
            job.result()

    def _cursor(self) -> Any:
        if self._db is None:
            self._db = adbc.connect(str(self.path), autocommit=True)
            with self._db.cursor() as cur:
                cur.execute("PRAGMA journal_mode=OFF")
                cur.execute("PRAGMA synchronous=OFF")
                cur.execute(self.create)
        return self._db.cursor()

    def _append(self, data: pa.RecordBatch | pa.Table) -> None:
        with self._cursor() as cur:
            cur.adbc_ingest(self.table, data, mode="append")

    def _recreate(self) -> None:
        with self._cursor() as cur:
            cur.execute(f"DROP TABLE {self.table}")
            cur.execute(self.create)

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


@contextmanager
def foreign_keys_off(conn: Connection) -> Iterator[None]:
    """Turn SQLite's foreign-key checks off on ``conn`` for the block (outside a transaction).

    For bulk loads whose references are valid by construction (ids just read by a join in the
    same transaction, which holds the write lock): the check is a B-tree lookup per row and
    reference. Does nothing on other databases.

    Raises:
        UsageError: ``conn`` is inside a transaction (the pragma is a no-op there).
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = _outside_transaction(conn, "foreign_keys_off()")
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if raw.in_transaction:  # never hand the pool a connection without its checks
            conn.invalidate()
        else:
            raw.execute("PRAGMA foreign_keys=ON")


def _outside_transaction(conn: Connection, what: str) -> Any:
    """The driver connection of ``conn``, which must be outside any transaction.

    Raises:
        UsageError: it is inside one (ATTACH fails there, the foreign-key pragma is ignored).
    """
    raw: Any = conn.connection.dbapi_connection
    if raw.in_transaction or conn.in_transaction():
        raise UsageError(f"{what} needs a connection outside a transaction")
    return raw


def _folder(engine: Engine) -> Path | None:
    """The store's folder (same disk as the store), or the temp folder for in-memory ones."""
    db = engine.url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db).resolve().parent


def _sweep(folder: Path | None) -> None:
    """Remove scratch files whose owner is gone (killed while staging): no lock on them."""
    for old in Path(folder or tempfile.gettempdir()).glob(f"{PREFIX}*.db"):
        try:
            fd = os.open(old, os.O_RDWR)
        except OSError:  # removed meanwhile
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            old.unlink(missing_ok=True)
        except OSError:  # locked: its owner is still at work
            continue
        finally:
            os.close(fd)

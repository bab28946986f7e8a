"""Hand an Arrow table to a SQLite connection in bulk: a scratch database file, ATTACHed.

Binding Python values row by row costs more than the inserts themselves. The ADBC SQLite
driver writes the Arrow columns into a scratch database file straight from their buffers (no
Python objects); the store connection ATTACHes that file and reads it with plain SQL inside
its own transaction, so the store is changed in one transaction or not at all. The scratch
file lives beside the store, is never part of it, and is deleted afterwards (a process killed
in between leaves only a ``.userops-stage-*.db`` file, which the next staging run removes
once it is an hour old).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import adbc_driver_sqlite.dbapi as adbc
import pyarrow as pa
from sqlalchemy import Connection

from userops.errors import UsageError

SCHEMA = "import_stage"
"""Name the scratch database is ATTACHed under."""
PREFIX = ".userops-stage-"
STALE_S = 3600
"""Scratch files older than this are left over from a killed process."""


@contextmanager
def attached(conn: Connection, create: str, table: pa.Table) -> Iterator[None]:
    """Stage ``table`` and ATTACH it to ``conn`` (SQLite) for the body of the block.

    Args:
        conn: A SQLite connection outside any transaction (ATTACH cannot run inside one);
            the block opens its own (``conn.begin()``).
        create: ``CREATE TABLE`` statement of the scratch table; ``table`` is appended to
            it by column name, in order (an ``INTEGER PRIMARY KEY`` column numbers the rows).
        table: The data.

    Raises:
        UsageError: ``conn`` is not SQLite or is inside a transaction.
    """
    raw: Any = conn.connection.dbapi_connection
    if conn.dialect.name != "sqlite" or raw.in_transaction or conn.in_transaction():
        raise UsageError("attached() needs a SQLite connection outside a transaction")
    folder = _folder(conn)
    _sweep(folder)
    fd, name = tempfile.mkstemp(prefix=PREFIX, suffix=".db", dir=folder)
    os.close(fd)
    path = Path(name)
    try:
        _write(path, create, table)
        raw.execute(f"ATTACH DATABASE ? AS {SCHEMA}", (str(path),))
        try:
            raw.execute(f"PRAGMA {SCHEMA}.journal_mode=OFF")
            raw.execute(f"PRAGMA {SCHEMA}.synchronous=OFF")
            yield
        finally:
            raw.execute(f"DETACH DATABASE {SCHEMA}")
    finally:
        path.unlink(missing_ok=True)


def _write(path: Path, create: str, table: pa.Table) -> None:
    with adbc.connect(str(path), autocommit=True) as db, db.cursor() as cur:
        cur.execute("PRAGMA journal_mode=OFF")
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute(create)
        name = create.split("(", 1)[0].split()[-1]
        cur.adbc_ingest(name, table, mode="append")


def _folder(conn: Connection) -> Path | None:
    """The store's folder (same disk as the store), or the temp folder for in-memory ones."""
    db = conn.engine.url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db).resolve().parent


def _sweep(folder: Path | None) -> None:
    """Remove scratch files left by processes killed while staging."""
    cutoff = time.time() - STALE_S
    for old in Path(folder or tempfile.gettempdir()).glob(f"{PREFIX}*.db"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:  # another process removed it first
            continue

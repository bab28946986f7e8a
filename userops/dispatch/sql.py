"""Raw DB-API access for the hot paths (SQLite and PostgreSQL), inside SQLAlchemy transactions.

Batches of a few thousand rows go through the driver's cursor directly: ``?`` placeholders
(rewritten to ``%s`` for psycopg), id lists passed as ONE parameter (a JSON array read with
``json_each`` on SQLite, an array with ``= ANY`` on PostgreSQL), ``executemany`` of tuples.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

from userops.store.bulk import copy_rows


def is_pg(conn: Connection) -> bool:
    """Whether ``conn`` is PostgreSQL."""
    return conn.dialect.name == "postgresql"


def _sql(conn: Connection, statement: str) -> str:
    return statement.replace("?", "%s") if is_pg(conn) else statement


def in_list(conn: Connection, column: str, sqltype: str = "int") -> str:
    """SQL testing ``column`` against one list parameter (see :func:`list_param`).

    On PostgreSQL the array is cast to the column's type (``int`` or ``text``): only then is
    ``= ANY`` a hashable operator that PostgreSQL hashes when it filters rows. Without the cast
    (``int4 = int8``), a plan built on stale statistics (a freshly filled outbox) tested every
    scanned row against the whole batch array: 0.9 s per 5,000-row batch at 20k rows sent,
    growing with every batch.
    """
    if is_pg(conn):
        return f"{column} = ANY(?::{sqltype}[])"
    return f"{column} IN (SELECT value FROM json_each(?))"


def list_param(conn: Connection, values: Iterable[Any]) -> Any:
    """The parameter for :func:`in_list`."""
    return list(values) if is_pg(conn) else json.dumps(list(values), ensure_ascii=False)


def _cursor(conn: Connection) -> Any:
    if not conn.in_transaction():
        conn.begin()  # like SQLAlchemy's autobegin, so conn.commit() commits this work
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def fetch(conn: Connection, statement: str, params: Sequence[Any] = ()) -> list[Any]:
    """Run ``statement`` on the raw cursor and return all rows as tuples."""
    cur = _cursor(conn)
    try:
        cur.execute(_sql(conn, statement), tuple(params))
        return list(cur.fetchall())
    finally:
        cur.close()


def many(conn: Connection, statement: str, rows: Sequence[Sequence[Any]]) -> None:
    """``executemany`` ``statement`` over ``rows`` on the raw cursor."""
    if not rows:
        return
    cur = _cursor(conn)
    try:
        cur.executemany(_sql(conn, statement), rows)
    finally:
        cur.close()


def insert_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` into ``table``: ``COPY`` on PostgreSQL, ``executemany`` on SQLite."""
    if not rows:
        return
    if not is_pg(conn):
        marks = ", ".join("?" for _ in columns)
        many(conn, f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        return
    cur = _cursor(conn)
    try:
        copy_rows(cur, table, columns, rows)
    finally:
        cur.close()


def insert_ignore(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    constants: dict[str, str] | None = None,
) -> None:
    """PostgreSQL: insert ``rows`` skipping conflicts, by COPY and one INSERT … SELECT.

    The rows go by ``COPY`` into a session temp table, then ``INSERT … SELECT … ON CONFLICT
    DO NOTHING`` (``constants``: more columns and their SQL values). Pipelined
    ``executemany`` of the same insert ran at about 12k rows/s here.
    """
    if not rows:
        return
    stage = f"_stage_{table}"
    cols = ", ".join(columns)
    extra = constants or {}
    cur = _cursor(conn)
    try:
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT {cols} FROM {table} WITH NO DATA"
        )
        cur.execute(f"TRUNCATE {stage}")
        copy_rows(cur, stage, columns, rows)
        names = cols + "".join(f", {k}" for k in extra)
        values = cols + "".join(f", {v}" for v in extra.values())
        cur.execute(
            f"INSERT INTO {table} ({names}) SELECT {values} FROM {stage} ON CONFLICT DO NOTHING"
        )
    finally:
        cur.close()


_GC_LOCK = threading.Lock()
_GC_STATE: dict[str, Any] = {"depth": 0, "old": None}


@contextmanager
def relaxed_gc(threshold: int = 100_000) -> Iterator[None]:
    """Run a bulk job with rare young-generation collections and existing objects frozen.

    Batches allocate millions of short-lived tuples; with the default thresholds Python's
    collector re-scans every long-lived object over and over (measured: about a third of
    the worker's CPU). Nested or concurrent uses share one setting, restored by the last.
    """
    with _GC_LOCK:
        if _GC_STATE["depth"] == 0:
            old = gc.get_threshold()
            _GC_STATE["old"] = old
            gc.freeze()
            gc.set_threshold(max(old[0], threshold), old[1], old[2])
        _GC_STATE["depth"] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_STATE["depth"] -= 1
            if _GC_STATE["depth"] == 0:
                gc.set_threshold(*_GC_STATE["old"])
                gc.unfreeze()

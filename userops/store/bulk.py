"""Bulk loading: ``COPY ... FROM STDIN`` (PostgreSQL), indexes built after a large insert."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, Index, Table, text
from sqlalchemy.schema import CreateIndex, DropIndex


def copy_rows(cur: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Copy ``rows`` (tuples in ``columns`` order) into ``table`` on the psycopg cursor ``cur``."""
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def copy_table(conn: Connection, name: str, create: str, table: pa.Table) -> None:
    """(Re)create the temporary table ``name`` with ``create`` and copy ``table`` into it.

    The Arrow columns are copied by name, in row order (a serial key numbers the rows).
    """
    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    conn.execute(text(create))
    rows = zip(*(c.to_pylist() for c in table.columns), strict=True)
    cur = conn.connection.cursor()
    try:
        copy_rows(cur, name, table.column_names, rows)
    finally:
        cur.close()


def fewer_rows(conn: Connection, table: str, than: int) -> bool:
    """Whether ``table`` holds fewer than ``than`` rows (counts at most ``than`` of them)."""
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT {int(than)}) x"
    return int(conn.execute(text(sql)).scalar_one()) < than


SQLITE_ABSENT_INDEXES = frozenset({"ix_events_type_user", "ix_event_counts_type_n"})
"""Indexes of the models that a SQLite store does not have (migration 0020 drops them)."""


def store_indexes(table: Any, dialect: str) -> list[Index]:
    """The indexes of ``table`` that a store of ``dialect`` has, by name."""
    return sorted(
        (ix for ix in table.indexes if dialect != "sqlite" or ix.name not in SQLITE_ABSENT_INDEXES),
        key=lambda ix: str(ix.name),
    )


@contextmanager
def indexes_rebuilt(conn: Connection, table: Table, rebuild: bool) -> Iterator[None]:
    """Drop the indexes of ``table`` for the body, then build them again (when ``rebuild``).

    Inside the caller's transaction: a large insert into a small table then costs a sort per
    index instead of one random B-tree insert per row and index. The body must not need the
    indexes (unique ones are checked again when they are built).
    """
    indexes = store_indexes(table, conn.dialect.name)
    if not rebuild:
        yield
        return
    for ix in indexes:
        conn.execute(DropIndex(ix))
    yield
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:  # let the sorter of CREATE INDEX use a helper thread (as the seed does)
        threads = conn.exec_driver_sql("PRAGMA threads").scalar()
        conn.exec_driver_sql("PRAGMA threads=2")
    try:
        for ix in indexes:
            conn.execute(CreateIndex(ix))
    finally:
        if sqlite:
            conn.exec_driver_sql(f"PRAGMA threads={int(threads or 0)}")

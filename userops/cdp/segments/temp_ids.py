"""Run each event predicate's users subquery once per preview, into a temporary table.

A preview runs the segment condition several times (the aggregate pass, the samples, the
campaign overlap, ``reachable_now``); an event predicate's subquery (every matching event
off the index, grouped per canonical user) would run again in each. :class:`TempIds` is the
``ids`` hook of :func:`userops.cdp.segments.sql.spec_condition`: it fills a temporary table
(``canon`` as its primary key) with the subquery's distinct ids at compile time and hands
back a scan of that table. The tables live in the connection's temporary schema (SQLite's
``temp`` database, PostgreSQL's ``pg_temp``: invisible to other connections, no lock on the
store) and are dropped by :meth:`TempIds.drop` when the preview ends.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, Select, Table, insert, select, text

_SEQ = itertools.count()


class TempIds:
    """The ``ids`` hook: materialize each subquery once on ``conn`` (see the module doc)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.tables: list[Table] = []

    def __call__(self, query: Select[Any]) -> Select[Any]:
        """Fill a new temporary table with ``query``'s ids; return a scan of it."""
        name = f"segment_ids_{next(_SEQ)}"
        table = Table(
            name, MetaData(), Column("canon", Integer, primary_key=True, autoincrement=False),
            prefixes=["TEMPORARY"],
        )  # fmt: skip
        table.create(self.conn)
        self.tables.append(table)
        self.conn.execute(insert(table).from_select(["canon"], query))
        if self.conn.dialect.name == "postgresql":  # row count for the planner
            self.conn.execute(text(f"ANALYZE {name}"))
        return select(table.c.canon).correlate(None)

    def drop(self) -> None:
        """Drop the tables this hook created and commit (a rollback would bring them back on
        SQLite, whose temporary schema is transactional; the preview wrote nothing else)."""
        if not self.tables:
            return
        while self.tables:
            self.tables.pop().drop(self.conn)
        self.conn.commit()

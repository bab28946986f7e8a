"""Per-user event counts of a preview's count predicates, computed once, in temporary tables.

A preview runs the segment condition several times (the aggregate pass, the samples, the
campaign overlap, ``reachable_now``); a count predicate (``orders >= 3``) would group every
matching event by user again in each. :class:`TempIds` is the ``counts`` hook of
:func:`userops.cdp.segments.sql.spec_condition`: at compile time it fills a temporary table
``(canon INTEGER PRIMARY KEY, n)`` with the number of matching events per canonical user
whose count passes the predicate (records others were merged into are kept until their
count is final, then dropped if it fails), from the events grouped by the user they were
recorded on (in user order off ``ix_events_type_user``: no sort) plus those of merged
records added to the record they were merged into
(:func:`~userops.cdp.segments.sql.event_counts_queries`). The condition then
reads the table. "At least one" predicates stay inline (a plain ``IN`` list is cheaper than
a table). The tables live in the connection's temporary schema (SQLite's ``temp`` database,
PostgreSQL's ``pg_temp``: invisible to other connections, no lock on the store) and are
dropped by :meth:`TempIds.drop` when the preview ends.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    Subquery,
    Table,
    bindparam,
    delete,
    insert,
    not_,
    select,
    text,
    update,
)

from userops.cdp.segments.sql import (
    event_counts,
    event_counts_queries,
    stored_counts_queries,
    users,
)

_SEQ = itertools.count()
_CHUNK = 5_000


class TempIds:
    """The ``counts`` hook: fill one temporary table per count predicate on ``conn``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.tables: list[Table] = []

    def __call__(
        self,
        conds: list[ColumnElement[bool]],
        keep: Callable[[Any], ColumnElement[bool]],
        event_type: str | None = None,
        *,
        at_least: int | None = None,
    ) -> Any:
        """Count the events matching ``conds`` per canonical user into a new table.

        It ends up holding exactly the users whose count passes ``keep``. ``event_type``
        (``conds`` are that type alone): read the stored counts (``event_counts``) instead;
        on PostgreSQL with ``at_least`` (``keep`` is ``count >= at_least``) no table at all:
        a subquery on ``event_counts`` (see :meth:`_at_least`).
        """
        if event_type is not None and at_least is not None and self.pg:
            return self._at_least(event_type, at_least)
        table = Table(
            f"segment_counts_{next(_SEQ)}", MetaData(),
            Column("canon", Integer, primary_key=True, autoincrement=False),
            Column("n", Integer, nullable=False),
            prefixes=["TEMPORARY"],
        )  # fmt: skip
        table.create(self.conn)
        self.tables.append(table)
        direct: Any
        if event_type is not None:
            direct, merged = stored_counts_queries(event_type, keep)
        else:
            direct, merged = event_counts_queries(conds, keep)
        self.conn.execute(insert(table).from_select(["canon", "n"], direct))
        extra = [(int(c), int(k)) for c, k in self.conn.execute(merged) if c is not None]
        for i in range(0, len(extra), _CHUNK):
            self._add(table, dict(extra[i : i + _CHUNK]))
        # records others were merged into kept so far whatever their count: final now
        self.conn.execute(delete(table).where(not_(keep(table.c.n))))
        if self.pg:  # row count for the planner
            self.conn.execute(text(f"ANALYZE {table.name}"))
        return table

    @property
    def pg(self) -> bool:
        """Whether the connection is to PostgreSQL."""
        return self.conn.dialect.name == "postgresql"

    def _at_least(self, event_type: str, at_least: int) -> Subquery:
        """The users with at least ``at_least`` events of ``event_type``, as a subquery.

        The records whose own count passes (a range of ``ix_event_counts_type_n``), plus the
        records others were merged into whose own count fails but passes with the merged
        records' counts (a literal list: looked up from the merged records, one key probe
        each). A passing own count passes with more added, so nothing is taken out. On
        PostgreSQL a temporary table keeps the aggregate pass serial (temporary tables are
        parallel restricted); this subquery lets it scan the traits in parallel.
        """
        c = event_counts.c
        own = select(c.n).where(c.type == event_type, c.user_id == users.c.id)
        merged = select(users.c.merged_into, own.scalar_subquery()).where(
            users.c.merged_into.is_not(None)
        )
        extra: dict[int, int] = {}
        for canon, k in self.conn.execute(merged):
            if k:
                extra[int(canon)] = extra.get(int(canon), 0) + int(k)
        items = list(extra.items())
        passing: list[int] = []
        for i in range(0, len(items), _CHUNK):
            part = dict(items[i : i + _CHUNK])
            mine = select(c.user_id, c.n).where(c.type == event_type, c.user_id.in_(list(part)))
            counts = {int(u): int(k) for u, k in self.conn.execute(mine)}
            passing += [
                u for u, k in part.items() if counts.get(u, 0) < at_least <= counts.get(u, 0) + k
            ]
        query = select(c.user_id.label("canon")).where(c.type == event_type, c.n >= at_least)
        if passing:
            more = select(users.c.id.label("canon")).where(users.c.id.in_(passing))
            return query.union_all(more).subquery()
        return query.subquery()

    def _add(self, table: Table, extra: dict[int, int]) -> None:
        """Add merged records' event counts ``{canon: n}`` to the table."""
        ids = select(table.c.canon).where(table.c.canon.in_(list(extra)))
        present = {int(c) for c in self.conn.execute(ids).scalars()}
        bump = update(table).where(table.c.canon == bindparam("c"))
        bumps = [{"c": c, "k": k} for c, k in extra.items() if c in present]
        if bumps:
            self.conn.execute(bump.values(n=table.c.n + bindparam("k")), bumps)
        new = [{"canon": c, "n": k} for c, k in extra.items() if c not in present]
        if new:
            self.conn.execute(insert(table), new)

    def drop(self) -> None:
        """Drop the tables this hook created, and commit.

        A rollback would bring them back on SQLite, whose temporary schema is transactional;
        the preview wrote nothing else.
        """
        if not self.tables:
            return
        while self.tables:
            self.tables.pop().drop(self.conn)
        self.conn.commit()

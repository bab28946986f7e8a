"""Durable marks of the records whose traits are due after ingestion (docs/traits.md).

:func:`mark` runs inside the transaction that stores a request's events: one ``traits_due``
row listing the records it touched. :func:`catch_up` takes the oldest rows, deletes them and
runs :func:`~userops.cdp.traits.incremental.apply_events` on their records in one transaction,
so a mark disappears only with the commit of the traits it asks for; when the update fails,
the rollback keeps the mark. A process killed after an ingest commit (and its 200) but before
the update leaves its rows here; whoever catches up next applies them: each ``serve`` worker
at start-up and after each ingest request, ``userops worker run`` when it starts.

Concurrency: rows are read oldest first, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two
workers catching up at once take different rows; SQLite's write lock is taken first. A row is
visible only once the transaction that wrote it has committed, its events with it; the
update reads them after taking the row (PostgreSQL's read committed takes a new snapshot per
statement), and a row committed meanwhile is not taken: it waits for the next catch-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

MAX_RECORDS = 2000
"""Records per update transaction (at least one row's): bounds SQLite's write-lock time."""
ROWS = 200
"""Rows read per update transaction."""


@dataclass
class CatchUp:
    """What a catch-up did."""

    marks: int = 0
    """``traits_due`` rows applied and deleted."""
    records: int = 0
    """Distinct records they listed."""
    users: int = 0
    """Canonical users whose trait row was written."""
    stage_changes: int = 0
    skipped: str | None = None
    """Why the last update wrote nothing (no full build yet: the marks are dropped all the
    same, the first build computes every row)."""

    def add(self, other: CatchUp) -> None:
        """Count ``other`` in."""
        self.marks += other.marks
        self.records += other.records
        self.users += other.users
        self.stage_changes += other.stage_changes
        self.skipped = other.skipped

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "marks": self.marks,
            "records": self.records,
            "users": self.users,
            "stage_changes": self.stage_changes,
            "skipped": self.skipped,
        }


def mark(conn: Connection, user_ids: Iterable[int], ts: int) -> None:
    """Record, in the caller's transaction, that the traits of ``user_ids`` are due."""
    ids = sorted({int(u) for u in user_ids})
    if ids:
        sql = text("INSERT INTO traits_due (user_ids, marked_ts) VALUES (:ids, :ts)")
        conn.execute(sql, {"ids": ",".join(map(str, ids)), "ts": int(ts)})


def pending(target: Engine | Connection) -> int:
    """Rows not applied yet."""
    sql = text("SELECT count(*) FROM traits_due")
    if isinstance(target, Connection):
        return int(target.execute(sql).scalar_one())
    with target.connect() as conn:
        return int(conn.execute(sql).scalar_one())


def catch_up(engine: Engine, *, now: datetime | None = None) -> CatchUp:
    """Apply the marks committed so far (one transaction per :data:`MAX_RECORDS` records).

    Marks written after the call began are left to the next catch-up, so that a steady
    stream of requests cannot keep it running.
    """
    total = CatchUp()
    with engine.connect() as conn:
        last = conn.execute(text("SELECT max(id) FROM traits_due")).scalar()
    while last is not None and (done := catch_up_once(engine, now=now, upto=int(last))):
        total.add(done)
    return total


def catch_up_once(
    engine: Engine, *, now: datetime | None = None, upto: int | None = None
) -> CatchUp | None:
    """Apply the oldest marks (ids up to ``upto``) in one transaction; None when none was due."""
    where = "" if upto is None else f" WHERE id <= {int(upto)}"
    with engine.connect() as conn:  # the usual case, nothing due: no write lock taken
        if conn.execute(text(f"SELECT id FROM traits_due{where} LIMIT 1")).first() is None:
            return None
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":  # the write lock first: no stale read snapshot
            conn.exec_driver_sql("UPDATE traits_due SET id = id WHERE 0")
        sql = f"SELECT id, user_ids FROM traits_due{where} ORDER BY id LIMIT {ROWS}"
        if conn.dialect.name == "postgresql":
            sql += " FOR UPDATE SKIP LOCKED"
        taken: list[int] = []
        records: set[int] = set()
        for row_id, ids in conn.execute(text(sql)):
            if taken and len(records) >= MAX_RECORDS:
                break
            taken.append(int(row_id))
            records.update(int(u) for u in str(ids).split(",") if u)
        if not taken:
            return None
        conn.execute(text(f"DELETE FROM traits_due WHERE id IN ({', '.join(map(str, taken))})"))
        from userops.cdp.traits.incremental import apply_events  # heavy: only when due

        changes = apply_events(conn, records, now=now)
        return CatchUp(
            marks=len(taken),
            records=len(records),
            users=changes.users,
            stage_changes=len(changes.stage_changes),
            skipped=changes.skipped,
        )

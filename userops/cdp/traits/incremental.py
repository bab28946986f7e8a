"""Profiles that update themselves: recompute a few users' trait rows from their events.

Called after new events are stored: real-time ingestion marks the records its events went to
and, after its commit, :func:`userops.cdp.traits.due.catch_up` calls :func:`apply_events`
with them (deleting the marks in the same transaction). The users' canonical ids are looked
up, the full build's aggregate queries run on those users' records only
(:class:`traits_sql.Dialect` with ``records``, through the ``(user_id, ts)`` index), and the
full build's rules score them against the population saved by the last full build
(:mod:`traits_population`: BG/NBD and Gamma-Gamma parameters, RFM and LTV cuts, channel and
content priors; no refit). The rows are upserted; a row whose ``lifecycle_stage`` changed
also gets a ``lifecycle_stage_changed`` event (``properties``: ``from``, ``to``; ``from`` is
null for a user's first row).

As of: the same day a full build run at ``now`` would use (the newest event's UTC day, not
after ``now``'s day), so an incremental row equals the row a full build would write with the
same population (docs/traits.md, "Incremental updates").
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, text

from userops.cdp.traits import population as tp
from userops.cdp.traits import sql as q
from userops.cdp.traits.build import DAY, compute, fetch, newest_event_day
from userops.cdp.traits.write import TRAIT_COLUMNS, write_traits
from userops.domain import EventType
from userops.store.models import Event

STAGE = TRAIT_COLUMNS.index("lifecycle_stage")
CHANGED = EventType.LIFECYCLE_STAGE_CHANGED.value
NO_BUILD = "no full build yet (run `userops profiles build`): nothing to update against"


@dataclass
class TraitChanges:
    """What one incremental update did."""

    users: int = 0
    """Canonical users whose trait row was written."""
    created: int = 0
    """Of those, users that had no trait row before."""
    unknown: int = 0
    """Given record ids that are not in the store."""
    stage_changes: list[tuple[int, str | None, str]] = field(default_factory=list)
    """``(user, from, to)`` for each lifecycle change (each also written as an event)."""
    as_of: date | None = None
    """The as-of day of the written rows."""
    skipped: str | None = None
    """Why nothing was written (no full build has saved a population yet), else None."""
    elapsed_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "users": self.users,
            "created": self.created,
            "unknown": self.unknown,
            "stage_changes": [list(c) for c in self.stage_changes],
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "skipped": self.skipped,
            "elapsed_s": self.elapsed_s,
        }


def apply_events(
    target: Engine | Connection, user_ids: Iterable[int], *, now: datetime | None = None
) -> TraitChanges:
    """Recompute the trait rows of the canonical users of ``user_ids`` (``users.id`` values).

    ``target``: an Engine (one transaction of its own) or a Connection (runs in the caller's
    transaction, which the caller commits: the events and the traits then commit together).
    ``now`` (default: the clock, UTC) bounds the as-of day and stamps lifecycle events.
    Users without a trait row get one. Without any full build nothing is written and
    :attr:`TraitChanges.skipped` says so.
    """
    ids = sorted({int(i) for i in user_ids})
    when = (now or datetime.now(UTC)).astimezone(UTC)
    if isinstance(target, Connection):
        return _apply(target, ids, when)
    with target.begin() as conn:
        return _apply(conn, ids, when)


def _ints(values: Iterable[int]) -> str:
    return ", ".join(str(int(v)) for v in values) or "NULL"


def _column(conn: Connection, sql: str) -> list[int]:
    return [int(r[0]) for r in conn.execute(text(sql))]


def _lock_and_read(conn: Connection, canon: Sequence[int]) -> dict[int, str]:
    """Current stages of ``canon``, holding the write lock for the rest of the transaction.

    PostgreSQL locks the users' trait rows (in id order: no deadlock between two updates);
    SQLite takes the database's write lock with an empty update (a deferred transaction
    only takes it at its first write), so concurrent updates of one user run one at a time
    and each stage change is seen, and recorded, once.
    """
    sql = f"SELECT user_id, lifecycle_stage FROM traits WHERE user_id IN ({_ints(canon)})"
    if conn.dialect.name == "postgresql":
        sql += " ORDER BY user_id FOR UPDATE"
    else:
        conn.execute(text("UPDATE traits SET as_of_ts = as_of_ts WHERE 0 = 1"))
    return {int(u): str(s) for u, s in conn.execute(text(sql))}


def _apply(conn: Connection, ids: list[int], now: datetime) -> TraitChanges:
    started = time.perf_counter()
    out = TraitChanges()
    if not ids:
        return out
    population = tp.latest(conn)
    if population is None:
        out.skipped = NO_BUILD
        return out
    known = f"SELECT id, coalesce(merged_into, id) FROM users WHERE id IN ({_ints(ids)})"
    pairs = [(int(r), int(c)) for r, c in conn.execute(text(known))]
    out.unknown = len(ids) - len(pairs)
    canon = sorted({c for _, c in pairs})
    if not canon:
        return out
    owned = f"SELECT id FROM users WHERE id IN ({_ints(canon)}) OR merged_into IN ({_ints(canon)})"
    records = sorted(set(_column(conn, owned)) | {r for r, _ in pairs})
    before = _lock_and_read(conn, canon)
    day = newest_event_day(conn, now.date()) or now.date()
    as_of_day = (day - date(1970, 1, 1)).days
    got = fetch(conn, q.Dialect(conn.dialect.name, tuple(records)), as_of_day, lambda _s: None)
    rows, _pred, _pop = compute(got, as_of_day, (as_of_day + 1) * DAY, population)
    write_traits(conn, rows, records)
    changes = [(int(r[0]), before.get(int(r[0])), str(r[STAGE])) for r in rows]
    out.stage_changes = [c for c in changes if c[1] != c[2]]
    _record_changes(conn, out.stage_changes, int(now.timestamp()))
    _drop_columnar_copy(conn)
    out.users, out.as_of = len(rows), day
    out.created = sum(1 for r in rows if int(r[0]) not in before)
    out.elapsed_s = round(time.perf_counter() - started, 4)
    return out


def _record_changes(
    conn: Connection, changes: Sequence[tuple[int, str | None, str]], ts: int
) -> None:
    if changes:
        rows = [
            {"user_id": u, "type": CHANGED, "ts": ts, "properties": {"from": old, "to": new}}
            for u, old, new in changes
        ]
        conn.execute(insert(Event), rows)


def _drop_columnar_copy(conn: Connection) -> None:
    """Remove a SQLite store's DuckDB traits copy: it no longer matches the rows.

    Segment previews then read the store itself until the next full build writes a new copy
    (:mod:`userops.cdp.segments.columnar`; its freshness check cannot see changed rows).
    """
    from userops.cdp.segments.columnar import columnar_path

    path = columnar_path(conn.engine)
    if path is not None:
        path.unlink(missing_ok=True)

"""Thread progress events kept in the store, so that any API process can stream them.

Each event gets a monotonically increasing id (the table's primary key). Within one thread
the events are written one after another by the process that runs it (one run per thread at
a time), so a follower that asks for ``id > last`` per thread sees each event once, in order,
whichever process wrote it. The id is also the SSE ``id:`` a client resumes from with
``Last-Event-ID``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine, Table, func, insert, select

from userops.store.models import ThreadEvent

_T = cast(Table, ThreadEvent.__table__)


@dataclass(frozen=True)
class StoredEvent:
    """One recorded event of a thread."""

    id: int
    thread_id: str
    event: str
    data: dict[str, Any]


def record(engine: Engine, thread_id: str, event: str, data: dict[str, Any]) -> int:
    """Append one event of ``thread_id``; return its id."""
    with engine.begin() as conn:
        row = {"thread_id": thread_id, "event": event, "data": data}
        return int(conn.execute(insert(_T).values(**row).returning(_T.c.id)).scalar_one())


def last_id(engine: Engine, thread_id: str) -> int:
    """Return the id of the newest event of ``thread_id`` (0 when it has none)."""
    with engine.connect() as conn:
        value = conn.execute(select(func.max(_T.c.id)).where(_T.c.thread_id == thread_id))
        return int(value.scalar() or 0)


def since(engine: Engine, cursors: dict[str, int], limit: int = 1000) -> list[StoredEvent]:
    """Return the events of the threads in ``cursors`` after each one's id, oldest first."""
    if not cursors:
        return []
    ids: Collection[str] = list(cursors)
    q = (
        select(_T.c.id, _T.c.thread_id, _T.c.event, _T.c.data)
        .where(_T.c.thread_id.in_(ids), _T.c.id > min(cursors.values()))
        .order_by(_T.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return [
        StoredEvent(int(r.id), r.thread_id, r.event, dict(r.data))
        for r in rows
        if r.id > cursors[r.thread_id]
    ]

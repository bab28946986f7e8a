"""Thread and run records of the LangGraph API (:mod:`userops.threads.tables`).

Times are returned as ISO 8601 strings in UTC (SQLite gives naive datetimes back: they
are UTC). Metadata filters match in Python after one indexed read (equality per key, as
the LangGraph server's ``metadata`` containment), identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, delete, insert, select, update

from userops.store.models import utcnow
from userops.threads.tables import LgRun, LgThread

_TH = cast(Table, LgThread.__table__)
_RU = cast(Table, LgRun.__table__)
RUN_STATUSES = ("pending", "running", "success", "error", "interrupted", "timeout")
ACTIVE = ("pending", "running")


def iso(at: datetime | None) -> str | None:
    """``at`` as ISO 8601 in UTC (a naive value is UTC)."""
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


@dataclass(frozen=True)
class ThreadRow:
    """A thread's record."""

    thread_id: str
    owner: str | None
    metadata: dict[str, Any]
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class RunRow:
    """A run's record, as LangGraph's ``Run``."""

    run_id: str
    thread_id: str
    assistant_id: str
    owner: str
    status: str
    metadata: dict[str, Any]
    kwargs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    created_at: str = ""
    updated_at: str = ""

    def view(self) -> dict[str, Any]:
        """The run as the LangGraph server shows it."""
        return {
            "run_id": self.run_id,
            "thread_id": self.thread_id,
            "assistant_id": self.assistant_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "status": self.status,
            "metadata": self.metadata,
            "kwargs": self.kwargs,
            "multitask_strategy": "reject",
        }


def _thread(r: Any) -> ThreadRow:
    return ThreadRow(
        r.thread_id,
        r.owner,
        dict(r.metadata or {}),
        iso(r.created_at) or "",
        iso(r.updated_at) or "",
    )


def get_thread(engine: Engine, thread_id: str) -> ThreadRow | None:
    """The thread's record, None when it has none."""
    with engine.connect() as conn:
        r = conn.execute(select(_TH).where(_TH.c.thread_id == thread_id)).first()
    return _thread(r) if r is not None else None


def create_thread(
    engine: Engine, thread_id: str, owner: str | None, metadata: Mapping[str, Any]
) -> ThreadRow:
    """Record a new thread (the caller checked that it does not exist)."""
    now = utcnow()
    row = {"thread_id": thread_id, "owner": owner, "metadata": dict(metadata)}
    with engine.begin() as conn:
        conn.execute(insert(_TH).values(**row, created_at=now, updated_at=now))
    return ThreadRow(thread_id, owner, dict(metadata), iso(now) or "", iso(now) or "")


def touch_thread(engine: Engine, thread_id: str, owner: str | None) -> None:
    """Mark the thread active now, creating its record (owned by ``owner``) if missing."""
    now = utcnow()
    with engine.begin() as conn:
        done = conn.execute(
            update(_TH).where(_TH.c.thread_id == thread_id).values(updated_at=now)
        ).rowcount
        if not done:
            conn.execute(
                insert(_TH).values(
                    thread_id=thread_id, owner=owner, metadata={}, created_at=now, updated_at=now
                )
            )


def merge_metadata(
    engine: Engine, thread_id: str, owner: str | None, metadata: Mapping[str, Any]
) -> ThreadRow:
    """Merge ``metadata`` into the thread's (as ``threads.update`` does); return the record."""
    touch_thread(engine, thread_id, owner)
    with engine.begin() as conn:
        old = conn.execute(select(_TH.c.metadata).where(_TH.c.thread_id == thread_id)).scalar()
        merged = {**dict(old or {}), **dict(metadata)}
        conn.execute(update(_TH).where(_TH.c.thread_id == thread_id).values(metadata=merged))
    row = get_thread(engine, thread_id)
    if row is None:  # pragma: no cover - written just above
        raise LookupError(thread_id)
    return row


def delete_thread(engine: Engine, thread_id: str) -> None:
    """Forget the thread's record and its runs."""
    with engine.begin() as conn:
        conn.execute(delete(_TH).where(_TH.c.thread_id == thread_id))
        conn.execute(delete(_RU).where(_RU.c.thread_id == thread_id))


def all_threads(engine: Engine) -> list[ThreadRow]:
    """Every thread record."""
    with engine.connect() as conn:
        return [_thread(r) for r in conn.execute(select(_TH))]


def matches(metadata: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether ``metadata`` has every key of ``wanted`` with an equal value."""
    return all(k in metadata and metadata[k] == v for k, v in wanted.items())


def _run(r: Any) -> RunRow:
    return RunRow(
        r.run_id,
        r.thread_id,
        r.assistant_id,
        r.owner,
        r.status,
        dict(r.metadata or {}),
        dict(r.kwargs or {}),
        r.error,
        iso(r.created_at) or "",
        iso(r.updated_at) or "",
    )


def create_run(engine: Engine, run: RunRow) -> RunRow:
    """Record a new run (``pending``); return it with its times."""
    now = utcnow()
    values = {
        "run_id": run.run_id,
        "thread_id": run.thread_id,
        "assistant_id": run.assistant_id,
        "owner": run.owner,
        "status": run.status,
        "metadata": run.metadata,
        "kwargs": run.kwargs,
    }
    with engine.begin() as conn:
        conn.execute(insert(_RU).values(**values, created_at=now, updated_at=now))
    found = get_run(engine, run.run_id)
    if found is None:  # pragma: no cover - written just above
        raise LookupError(run.run_id)
    return found


def set_run_status(engine: Engine, run_id: str, status: str, error: str | None = None) -> None:
    """Move the run to ``status`` (one of :data:`RUN_STATUSES`)."""
    with engine.begin() as conn:
        conn.execute(
            update(_RU)
            .where(_RU.c.run_id == run_id)
            .values(status=status, error=error, updated_at=utcnow())
        )


def get_run(engine: Engine, run_id: str) -> RunRow | None:
    """The run's record, None when there is none."""
    with engine.connect() as conn:
        r = conn.execute(select(_RU).where(_RU.c.run_id == run_id)).first()
    return _run(r) if r is not None else None


def thread_runs(
    engine: Engine, thread_id: str, statuses: Iterable[str] | None = None
) -> list[RunRow]:
    """The thread's runs, newest first (only those in ``statuses`` when given)."""
    q = select(_RU).where(_RU.c.thread_id == thread_id)
    if statuses is not None:
        q = q.where(_RU.c.status.in_(list(statuses)))
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(_RU.c.created_at.desc(), _RU.c.run_id)).all()
    return [_run(r) for r in rows]


def busy_threads(engine: Engine) -> set[str]:
    """The threads with a run pending or running."""
    with engine.connect() as conn:
        q = select(_RU.c.thread_id).where(_RU.c.status.in_(ACTIVE))
        return {str(t) for t in conn.execute(q).scalars()}


def delete_run(engine: Engine, run_id: str) -> None:
    """Forget the run's record."""
    with engine.begin() as conn:
        conn.execute(delete(_RU).where(_RU.c.run_id == run_id))


def active_runs(engine: Engine) -> list[RunRow]:
    """The runs recorded ``pending`` or ``running``."""
    with engine.connect() as conn:
        return [_run(r) for r in conn.execute(select(_RU).where(_RU.c.status.in_(ACTIVE)))]

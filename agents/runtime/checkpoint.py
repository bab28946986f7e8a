"""LangGraph checkpointer chosen by URL: SQLite file by default, PostgreSQL by URL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from userops.settings import Settings, get_settings


def checkpoint_url(settings: Settings | None = None) -> str:
    """Return where checkpoints live.

    ``USEROPS_CHECKPOINT_URL`` wins; otherwise a PostgreSQL store keeps them in its own
    database, and the embedded store gets ``{home}/checkpoints.db`` next to it.
    """
    s = settings or get_settings()
    if s.checkpoint_url:
        return s.checkpoint_url
    if s.database_url and s.database_url.startswith("postgresql"):
        return s.database_url
    s.home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(s.home / 'checkpoints.db').resolve()}"


def is_postgres(url: str) -> bool:
    """Whether ``url`` points at PostgreSQL."""
    return url.startswith(("postgresql", "postgres:"))


def libpq_url(url: str) -> str:
    """Strip a SQLAlchemy driver suffix (``postgresql+psycopg://`` → ``postgresql://``)."""
    head, sep, rest = url.partition("://")
    return head.split("+", 1)[0] + sep + rest


def sqlite_path(url: str) -> str:
    """Return the file path of a ``sqlite:///`` URL (or the argument if it is a path)."""
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url


SETUP_LOCK = (0x75736572, 1)
"""Advisory-lock key (two-int form: apart from the per-thread bigint keys) of the setup."""


def _setup_once(saver: Any, url: str) -> None:
    """Run the saver's migrations under an advisory lock.

    Several API workers starting on a fresh database would otherwise race on
    ``checkpoint_migrations`` and all but one fail with a unique violation. The waiters poll
    with ``pg_try_advisory_lock`` between statements: a waiter blocked inside
    ``pg_advisory_lock`` holds a snapshot that the setup's ``CREATE INDEX CONCURRENTLY``
    would wait for, a deadlock PostgreSQL cannot see.
    """
    import time

    import psycopg

    with psycopg.connect(libpq_url(url), autocommit=True) as lock:
        while not lock.execute("SELECT pg_try_advisory_lock(%s, %s)", SETUP_LOCK).fetchone()[0]:  # type: ignore[index]
            time.sleep(0.05)
        saver.setup()


@contextmanager
def open_checkpointer(url: str | None = None) -> Iterator[BaseCheckpointSaver[str]]:
    """Open (and set up) the checkpointer at ``url`` (default :func:`checkpoint_url`)."""
    url = url or checkpoint_url()
    if is_postgres(url):
        from langgraph.checkpoint.postgres import PostgresSaver

        with PostgresSaver.from_conn_string(libpq_url(url)) as saver:
            _setup_once(saver, url)
            yield saver
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = sqlite_path(url)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=30000")
        sq = SqliteSaver(conn)
        sq.setup()
        yield sq
    finally:
        conn.close()


def prune_threads(
    engine: Any, saver: BaseCheckpointSaver[Any], *, older_than_days: float
) -> list[str]:
    """Delete the checkpoints of finished threads; never one with a pending approval.

    A thread is finished when every campaign on it is ``completed``, ``blocked`` or
    ``refused`` and was last updated more than ``older_than_days`` ago. Campaign rows,
    approvals and audit stay (they are the record); only the graph checkpoints go.

    Returns:
        The thread ids whose checkpoints were deleted.
    """
    from datetime import UTC, datetime, timedelta

    from userops.campaigns import finished_threads

    threads = finished_threads(engine, datetime.now(UTC) - timedelta(days=older_than_days))
    for tid in threads:
        saver.delete_thread(tid)
    return threads

"""Several processes migrating one fresh PostgreSQL store at once (``serve --workers N``)."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import inspect

from userops.store.engine import make_engine, upgrade

pytestmark = pytest.mark.pg


def _migrate(url: str, start: object) -> None:
    engine = make_engine(url)
    start.wait()  # type: ignore[attr-defined]
    upgrade(engine)
    engine.dispose()


def test_concurrent_upgrades_of_a_fresh_database_all_succeed(pg_url: str) -> None:
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(3)
    procs = [ctx.Process(target=_migrate, args=(pg_url, start)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    engine = make_engine(pg_url)
    assert {"outbox", "approvals", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()

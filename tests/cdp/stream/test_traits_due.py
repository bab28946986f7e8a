"""Durable trait marks: a crash between the ingest commit and the trait update loses nothing.

Ingestion marks the records it touched in the transaction that stores their events; the
update deletes the marks in the transaction that writes the traits. Calling ``ingest``
without ever running the update thread is a process killed right after its 200.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from tests.cdp.stream.support import ORDER, orders_total, rows, send, with_population
from userops.cdp.traits import incremental as traits_incremental
from userops.cdp.traits.due import catch_up, pending


def _order(day: int, user: str = "u3") -> dict[str, Any]:
    when = f"2026-11-{day:02d}T10:00:00Z"
    return {**ORDER, "userId": user, "timestamp": when, "messageId": f"{user}-{day}"}


def test_marks_of_a_crashed_process_are_applied_by_the_next_catch_up(any_engine: Engine) -> None:
    crm = with_population(any_engine)
    assert orders_total(any_engine, "u3") == 1 and pending(any_engine) == 0
    send(any_engine, crm, _order(20), _order(20, "new"))  # acknowledged; then the crash
    assert orders_total(any_engine, "u3") == 1 and pending(any_engine) == 1
    done = catch_up(any_engine)
    assert (done.marks, done.records, done.users, done.skipped) == (1, 2, 2, None)
    assert orders_total(any_engine, "u3") == 2 and orders_total(any_engine, "new") == 1
    assert pending(any_engine) == 0 and catch_up(any_engine).marks == 0
    again = send(any_engine, crm, _order(20))  # a retry stores nothing and marks nothing
    assert again.stored == 0 and pending(any_engine) == 0


def test_a_failed_update_keeps_its_marks(
    any_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = with_population(any_engine)
    send(any_engine, crm, _order(20))

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("the store went away")

    monkeypatch.setattr(traits_incremental, "apply_events", broken)
    with pytest.raises(RuntimeError):
        catch_up(any_engine)
    assert pending(any_engine) == 1 and orders_total(any_engine, "u3") == 1
    monkeypatch.undo()
    assert catch_up(any_engine).marks == 1 and orders_total(any_engine, "u3") == 2


@pytest.mark.pg
def test_a_mark_committed_during_a_catch_up_waits_for_the_next(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = with_population(pg_engine)
    send(pg_engine, crm, _order(20))
    real = traits_incremental.apply_events

    def meanwhile(conn: Any, ids: Any, **kw: Any) -> Any:  # another worker's request commits
        send(pg_engine, crm, _order(21))
        return real(conn, ids, **kw)

    monkeypatch.setattr(traits_incremental, "apply_events", meanwhile)
    assert catch_up(pg_engine).marks == 1
    monkeypatch.undo()
    assert pending(pg_engine) == 1  # not taken, not deleted
    assert catch_up(pg_engine).marks == 1 and orders_total(pg_engine, "u3") == 3


def test_worker_run_catches_up_first(sqlite_engine: Engine) -> None:
    from userops.cli.main import app

    crm = with_population(sqlite_engine)
    send(sqlite_engine, crm, _order(20))
    res = CliRunner().invoke(app, ["worker", "run", "--until-idle", "--json"])
    assert res.exit_code == 0, res.output
    assert isinstance(json.loads(res.stdout), dict)  # the summary, nothing printed before it
    assert orders_total(sqlite_engine, "u3") == 2 and rows(sqlite_engine, "traits_due") == []

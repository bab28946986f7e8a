"""Opening refuses a damaged, unreadable or read-only store in one line; the health probe."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.store.damage import corrupt_mid_file, filled_store
from userops.store.check import StoreUnavailable, probe, transient
from userops.store.engine import make_engine, open_store, upgrade


def test_a_store_damaged_mid_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    filled_store(path).dispose()
    corrupt_mid_file(path)
    plain = make_engine(f"sqlite:///{path}")
    upgrade(plain)  # what opening did before: the damage goes unnoticed
    with plain.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    found = probe(plain, budget_s=5)
    plain.dispose()
    assert found["ok"] is False and "malformed" in found["error"]
    with pytest.raises(StoreUnavailable) as refused:
        open_store(f"sqlite:///{path}")
    message = str(refused.value)
    assert str(path) in message and "malformed" in message and "\n" not in message


def test_a_file_that_is_no_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(b"not a database at all " * 400)
    with pytest.raises(StoreUnavailable) as refused:
        open_store(f"sqlite:///{path}")
    assert str(refused.value) == f"store {path} cannot be used: file is not a database"


def test_a_read_only_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    open_store(f"sqlite:///{path}").dispose()
    with pytest.raises(StoreUnavailable) as refused:
        open_store(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert str(refused.value) == f"store {path} is read-only: userops needs to write to it"


@pytest.mark.pg
def test_a_read_only_postgresql_store_is_refused(pg_url: str) -> None:
    open_store(pg_url).dispose()
    sep = "&" if "?" in pg_url else "?"
    url = f"{pg_url}{sep}options=-c%20default_transaction_read_only%3Don"
    with pytest.raises(StoreUnavailable, match="is read-only"):
        open_store(url)


def test_probe_of_a_sound_store_and_its_budget(tmp_path: Path) -> None:
    engine = filled_store(tmp_path / "s.db", users=4000)
    try:
        full = probe(engine, budget_s=30)
        assert full["ok"] and full["complete"] and full["check"] == "quick_check"
        cut = probe(engine, budget_s=0)  # the budget ran out first: sound so far, not all seen
        assert cut["ok"] and cut["complete"] is False
        deep = probe(engine, deep=True)
        assert deep["ok"] and deep["complete"] and deep["check"] == "integrity_check"
    finally:
        engine.dispose()


def test_only_passing_failures_are_transient() -> None:
    import sqlite3

    full = sqlite3.connect(":memory:")
    full.execute("CREATE TABLE t (v)")
    full.execute("PRAGMA max_page_count = 1")  # clamped to the pages it has: no room to grow
    with pytest.raises(sqlite3.OperationalError) as grew:
        full.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 50)
    assert str(grew.value) == "database or disk is full" and transient(grew.value)
    with pytest.raises(sqlite3.OperationalError) as missing:
        full.execute("SELECT * FROM nowhere")
    assert not transient(missing.value)

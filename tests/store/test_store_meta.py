"""Migration 0007 (``store_meta``) on both databases; seeding marks the store simulated."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect

from userops.cdp.sample.population import seed_population
from userops.store.engine import alembic_config, make_engine, upgrade
from userops.store.meta import is_simulated, mark_simulated, simulated_by


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, unmigrated store of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_store_meta_down_and_up(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        upgrade(engine, "0006")
        assert "store_meta" not in inspect(engine).get_table_names()
        upgrade(engine)
        assert not is_simulated(engine)  # an existing store is not simulated by migrating
        mark_simulated(engine, "eval")
        with engine.connect() as conn:
            assert simulated_by(conn) == "eval"
        command.downgrade(alembic_config(engine), "0006")
        assert "store_meta" not in inspect(engine).get_table_names()
        upgrade(engine)
        assert not is_simulated(engine)
    finally:
        engine.dispose()


def test_seeding_marks_the_store(sqlite_engine: Engine) -> None:
    assert not is_simulated(sqlite_engine)
    seed_population(sqlite_engine, users=30, seed=1, language="en")
    with sqlite_engine.connect() as conn:
        assert simulated_by(conn) == "seed"

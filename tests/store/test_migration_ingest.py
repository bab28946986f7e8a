"""Migration 0008 (sources, ingest_messages) down and up on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from userops.store.engine import alembic_config, make_engine, upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_sources_and_ingest_messages_down_and_up(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        assert {"sources", "ingest_messages"} <= set(inspect(engine).get_table_names())
        add = (
            "INSERT INTO sources (id, name, key_hash, created_at)"
            " VALUES (1, 'web', 'h', '2026-01-01')"
        )
        seen = (
            "INSERT INTO ingest_messages (source_id, message_id, type, received_ts)"
            " VALUES (1, 'm1', 'identify', 0)"
        )
        with engine.begin() as conn:
            conn.execute(text(add))
            conn.execute(text(seen))
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(seen))  # one row per (source, messageId)
        command.downgrade(alembic_config(engine), "0007")
        assert not {"sources", "ingest_messages"} & set(inspect(engine).get_table_names())
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM sources")).scalar_one() == 0
    finally:
        engine.dispose()

"""The journeys migration goes up and down on both stores; its keys hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from userops.store.engine import alembic_config, make_engine, upgrade

REV = "0012"
TABLES = {
    "journeys",
    "journey_versions",
    "journey_members",
    "journey_steps_done",
    "journey_segment_seen",
}
STEP = (
    "INSERT INTO journey_steps_done (version_id, journey_id, user_id, entry_no, node_id, visit,"
    " outcome, ts) VALUES (1, 'j', 7, 1, 'hello', 0, 'send', 1)"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_journeys_tables_up_down_up(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        assert TABLES <= set(inspect(engine).get_table_names())
        idx = {i["name"]: i for i in inspect(engine).get_indexes("journey_members")}
        assert idx["ix_journey_members_due"]["column_names"] == ["state", "due_ts"]
        with engine.begin() as conn:
            conn.execute(text(STEP))
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(STEP))  # exactly once per (version, user, entry, node, visit)
        cfg = alembic_config(engine)
        down = ScriptDirectory.from_config(cfg).get_revision(REV).down_revision
        command.downgrade(cfg, str(down))
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(engine)
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()

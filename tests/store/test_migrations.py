from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from userops.store.engine import alembic_config, make_engine, upgrade

TABLES = {
    "users",
    "identities",
    "identity_merges",
    "consents",
    "events",
    "traits",
    "model_fits",
    "campaigns",
    "campaign_members",
    "outbox",
    "deliveries",
    "approvals",
    "audit",
    "accounts",
    "lessons",
}


def test_schema_on_both_backends(any_engine: Engine) -> None:
    names = set(inspect(any_engine).get_table_names())
    assert TABLES <= names
    upgrade(any_engine)  # idempotent
    assert TABLES <= set(inspect(any_engine).get_table_names())


def test_identities_unique_index_migration_keeps_rows_both_ways(pg_or_sqlite_url: str) -> None:
    """0003 -> 0004 turns the unique constraint into a named index; down and up keep rows."""
    engine = make_engine(pg_or_sqlite_url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, external_id, timezone, language, created_ts,"
                    " do_not_contact) VALUES (1, 'a', 'UTC', 'en', 0, false)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO identities (id, user_id, kind, value, source) VALUES"
                    " (7, 1, 'phone', '+8613800000000', 'app'), (9, 1, 'email', 'a@b.cn', NULL)"
                )
            )
        for step in ("head", "0003", "head"):
            if step == "0003":
                command.downgrade(alembic_config(engine), step)
            else:
                upgrade(engine)
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT * FROM identities ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [
                (7, 1, "phone", "+8613800000000", "app"),
                (9, 1, "email", "a@b.cn", None),
            ]
        indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("identities")}
        assert indexes["ux_identities_kind_value_user"]["unique"]
        assert "ix_identities_user_id" in indexes
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO identities (user_id, kind, value) VALUES (1, 'phone',"
                    " '+8613800000000')"
                )
            )
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def pg_or_sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, unmigrated store of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return str(request.getfixturevalue("pg_url"))

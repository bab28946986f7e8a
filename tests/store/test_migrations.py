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
    "auth_failures",
}


def test_schema_on_both_backends(any_engine: Engine) -> None:
    names = set(inspect(any_engine).get_table_names())
    assert TABLES <= names
    upgrade(any_engine)  # idempotent
    assert TABLES <= set(inspect(any_engine).get_table_names())


IDENTITIES = [(7, 1, "phone", "+8613800000000", "app"), (9, 1, "email", "a@b.cn", None)]
EVENTS = [
    (3, 1, "order", 100, "sms", 9.5, 2, None, None, "note", "k1"),
    (5, 1, "visit", 200, None, None, None, "c1", None, None, "k2"),
]


EVENT_COLS = "id, user_id, type, ts, channel, amount, quantity, campaign_id, properties, text"


def _rows(engine: Engine, table: str) -> list[tuple[object, ...]]:
    cols = "*" if table == "identities" else f"{EVENT_COLS}, dedupe_key"
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT {cols} FROM {table} ORDER BY id"))]


def test_unique_constraints_become_named_indexes_and_back_keeping_rows(
    pg_or_sqlite_url: str,
) -> None:
    """0003 -> 0005 turns two unique constraints into named indexes; down and up keep rows."""
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
            for row in IDENTITIES:
                conn.execute(
                    text("INSERT INTO identities VALUES (:i, :u, :k, :v, :s)"),
                    dict(zip("iukvs", row, strict=True)),
                )
            for row in EVENTS:
                conn.execute(
                    text(
                        "INSERT INTO events (id, user_id, type, ts, channel, amount, quantity,"
                        " campaign_id, properties, text, dedupe_key) VALUES"
                        " (:a, :b, :c, :d, :e, :f, :g, :h, :i, :j, :k)"
                    ),
                    dict(zip("abcdefghijk", row, strict=True)),
                )
        for step in ("head", "0004", "0003", "head"):
            if step.startswith("000"):
                command.downgrade(alembic_config(engine), step)
            else:
                upgrade(engine)
            assert _rows(engine, "identities") == IDENTITIES
            assert _rows(engine, "events") == EVENTS
        found = inspect(engine)
        identities = {ix["name"]: ix for ix in found.get_indexes("identities")}
        events = {ix["name"]: ix for ix in found.get_indexes("events")}
        assert identities["ux_identities_kind_value_user"]["unique"]
        assert events["ux_events_dedupe_key"]["unique"]
        assert {"ix_identities_user_id"} <= set(identities)
        assert {"ix_events_user_ts", "ix_events_type_ts", "ix_events_campaign_id"} <= set(events)
        for sql in (
            "INSERT INTO identities (user_id, kind, value) VALUES (1, 'phone', '+8613800000000')",
            "INSERT INTO events (user_id, type, ts, dedupe_key) VALUES (1, 'visit', 1, 'k1')",
        ):
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(text(sql))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def pg_or_sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, unmigrated store of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return str(request.getfixturevalue("pg_url"))


APPROVAL = (
    "INSERT INTO approvals (id, campaign_id, revision, status, risk_tier, card, created_at,"
    " client_decision_id) VALUES (:id, 'c1', 1, 'approved', 'low', '{}', '2026-01-01', :k)"
)


def _approvals(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        q = "SELECT id, client_decision_id, status FROM approvals ORDER BY id"
        return [tuple(r) for r in conn.execute(text(q))]


def test_decision_ids_per_approval_and_edited_by_down_and_up(pg_or_sqlite_url: str) -> None:
    """0006 lets two approvals share a client decision id and adds ``edited_by``; back too."""
    engine = make_engine(pg_or_sqlite_url)
    try:
        upgrade(engine, "0005")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO campaigns (id, name, language, status, revision, spent,"
                    " created_at, updated_at) VALUES ('c1', 'c', 'en', 'draft', 0, 0,"
                    " '2026-01-01', '2026-01-01')"
                )
            )
            conn.execute(text(APPROVAL), {"id": "a1", "k": "k"})
            conn.execute(text(APPROVAL), {"id": "a2", "k": "j"})
        upgrade(engine)
        with engine.begin() as conn:  # refused before 0006 (a 500 inside the decision path)
            conn.execute(text("UPDATE approvals SET client_decision_id = 'k', edited_by = 'ana'"))
        assert _approvals(engine) == [("a1", "k", "approved"), ("a2", "k", "approved")]
        found = {ix["name"] for ix in inspect(engine).get_indexes("approvals")}
        assert {"ix_approvals_inbox", "ix_approvals_thread_id", "ix_approvals_status"} <= found
        command.downgrade(alembic_config(engine), "0005")
        assert _approvals(engine) == [("a1", "k", "approved"), ("a2", None, "approved")]
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("UPDATE approvals SET client_decision_id = 'k'"))
        upgrade(engine)
        assert _approvals(engine) == [("a1", "k", "approved"), ("a2", None, "approved")]
        cols = {c["name"] for c in inspect(engine).get_columns("approvals")}
        assert "edited_by" in cols
    finally:
        engine.dispose()

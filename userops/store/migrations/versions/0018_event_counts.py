"""event_counts: per-record event counts kept by triggers on ``events``, backfilled

``orders >= 3`` over all time grouped every order event by user in each preview (2M at 10M
events: ~0.4 s on SQLite, more on PostgreSQL). ``event_counts (type, user_id, n)`` holds the
count per record and type; triggers on ``events`` keep it in the writing transaction, so
every writer (ingest, import, seed, feedback, erasure, a test's plain ``INSERT``) keeps it
without knowing. ``ix_event_counts_type_n (type, n, user_id)`` makes ``n >= 3`` a range scan.
A row exists only while ``n > 0``.

* SQLite: row triggers (insert: upsert ``n + 1``; delete: ``n - 1``, the row dropped at 0;
  update of ``type``/``user_id``: both). An ``INSERT ... ON CONFLICT DO NOTHING`` that
  skips a row fires nothing.
* PostgreSQL: statement triggers with transition tables, one grouped upsert per statement
  (a ``COPY`` of 10M events is one statement: one grouped pass, not 10M upserts). Upserts
  go in key order so that two writers lock shared rows in the same order.

The backfill runs after the triggers are created, in the same transaction: on PostgreSQL
``CREATE TRIGGER`` locks out writers of ``events`` until commit, on SQLite the migration
holds the write lock, so no event is counted twice or missed.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UPSERT_SQLITE = (
    "INSERT INTO event_counts (type, user_id, n) VALUES (NEW.type, NEW.user_id, 1) "
    "ON CONFLICT (type, user_id) DO UPDATE SET n = n + 1;"
)
_TAKE_SQLITE = (
    "UPDATE event_counts SET n = n - 1 WHERE type = OLD.type AND user_id = OLD.user_id; "
    "DELETE FROM event_counts WHERE type = OLD.type AND user_id = OLD.user_id AND n <= 0;"
)
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER event_counts_ins AFTER INSERT ON events BEGIN {_UPSERT_SQLITE} END",
    f"CREATE TRIGGER event_counts_del AFTER DELETE ON events BEGIN {_TAKE_SQLITE} END",
    "CREATE TRIGGER event_counts_upd AFTER UPDATE OF type, user_id ON events "
    "WHEN NEW.type IS NOT OLD.type OR NEW.user_id IS NOT OLD.user_id "
    f"BEGIN {_TAKE_SQLITE} {_UPSERT_SQLITE} END",
)

_DELTA_PG = {
    "ins": "SELECT type, user_id, count(*) AS k FROM ec_new GROUP BY type, user_id",
    "del": "SELECT type, user_id, -count(*) AS k FROM ec_old GROUP BY type, user_id",
    "upd": (
        "SELECT type, user_id, sum(k) AS k FROM (SELECT type, user_id, 1 AS k FROM ec_new "
        "UNION ALL SELECT type, user_id, -1 FROM ec_old) x "
        "GROUP BY type, user_id HAVING sum(k) <> 0"
    ),
}
_DROP_EMPTY_PG = (
    "DELETE FROM event_counts c WHERE c.n <= 0 "
    "AND (c.type, c.user_id) IN (SELECT type, user_id FROM ec_old);"
)


def _pg_function(kind: str) -> str:
    body = (
        f"INSERT INTO event_counts (type, user_id, n) SELECT type, user_id, k "
        f"FROM ({_DELTA_PG[kind]}) d ORDER BY type, user_id "
        "ON CONFLICT (type, user_id) DO UPDATE SET n = event_counts.n + EXCLUDED.n;"
    )
    if kind != "ins":
        body += " " + _DROP_EMPTY_PG
    return (
        f"CREATE FUNCTION event_counts_{kind}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {body} RETURN NULL; END $$"
    )


_PG_TRIGGERS = {
    "ins": "AFTER INSERT ON events REFERENCING NEW TABLE AS ec_new",
    "del": "AFTER DELETE ON events REFERENCING OLD TABLE AS ec_old",
    "upd": "AFTER UPDATE ON events REFERENCING OLD TABLE AS ec_old NEW TABLE AS ec_new",
}
BACKFILL = (
    "INSERT INTO event_counts (type, user_id, n) "
    "SELECT type, user_id, count(*) FROM events GROUP BY type, user_id"
)


def upgrade() -> None:
    op.create_table(
        "event_counts",
        sa.Column("type", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.Integer(), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_event_counts_type_n", "event_counts", ["type", "n", "user_id"])
    if op.get_bind().dialect.name == "postgresql":
        for kind, when in _PG_TRIGGERS.items():
            op.execute(_pg_function(kind))
            op.execute(
                f"CREATE TRIGGER event_counts_{kind} {when} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION event_counts_{kind}()"
            )
    else:
        for ddl in SQLITE_TRIGGERS:
            op.execute(ddl)
    op.execute(BACKFILL)


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for kind in _PG_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS event_counts_{kind}" + (" ON events" if pg else ""))
        if pg:
            op.execute(f"DROP FUNCTION IF EXISTS event_counts_{kind}()")
    op.drop_index("ix_event_counts_type_n", table_name="event_counts")
    op.drop_table("event_counts")

"""events: the unique dedupe_key constraint becomes a named unique index

A large events import drops the table's indexes and builds them again after its insert (a
sort instead of one random B-tree insert per row and index); SQLite cannot drop the index
behind a table constraint.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIQUE = "ux_events_dedupe_key"
PG_CONSTRAINT = "events_dedupe_key_key"
"""PostgreSQL's name for the unnamed constraint of revision 0001."""
INDEXES = {
    "ix_events_campaign_id": ["campaign_id"],
    "ix_events_type_ts": ["type", "ts"],
    "ix_events_user_ts": ["user_id", "ts"],
}
COLUMNS = (
    "id, user_id, type, ts, channel, amount, quantity, campaign_id, properties, text, dedupe_key"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(PG_CONSTRAINT, "events", type_="unique")
    else:
        _rebuild(constraint=False)
    op.create_index(UNIQUE, "events", ["dedupe_key"], unique=True)


def downgrade() -> None:
    op.drop_index(UNIQUE, table_name="events")
    if op.get_bind().dialect.name == "postgresql":
        op.create_unique_constraint(PG_CONSTRAINT, "events", ["dedupe_key"])
    else:
        _rebuild(constraint=True)


def _rebuild(*, constraint: bool) -> None:
    """SQLite: copy ``events`` into a table with (or without) the unique constraint."""
    extra = [sa.UniqueConstraint("dedupe_key")] if constraint else []
    op.create_table(
        "_events_new",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.String(length=64), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        *extra,
    )
    op.execute(f"INSERT INTO _events_new ({COLUMNS}) SELECT {COLUMNS} FROM events ORDER BY id")
    op.drop_table("events")
    op.rename_table("_events_new", "events")
    for name, cols in INDEXES.items():
        op.create_index(name, "events", cols)

"""identities: the unique (kind, value, user_id) constraint becomes a named unique index

A large users import drops it and builds it again after its insert (a sort instead of one
random B-tree insert per row); SQLite cannot drop the index behind a table constraint.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIQUE = "ux_identities_kind_value_user"
PG_CONSTRAINT = "identities_kind_value_user_id_key"
"""PostgreSQL's name for the unnamed constraint of revision 0001."""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(PG_CONSTRAINT, "identities", type_="unique")
    else:
        _rebuild(constraint=False)
    op.create_index(UNIQUE, "identities", ["kind", "value", "user_id"], unique=True)


def downgrade() -> None:
    op.drop_index(UNIQUE, table_name="identities")
    if op.get_bind().dialect.name == "postgresql":
        op.create_unique_constraint(PG_CONSTRAINT, "identities", ["kind", "value", "user_id"])
    else:
        _rebuild(constraint=True)


def _rebuild(*, constraint: bool) -> None:
    """SQLite: copy ``identities`` into a table with (or without) the unique constraint."""
    extra = [sa.UniqueConstraint("kind", "value", "user_id")] if constraint else []
    op.create_table(
        "_identities_new",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("value", sa.String(length=254), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        *extra,
    )
    op.execute(
        "INSERT INTO _identities_new (id, user_id, kind, value, source)"
        " SELECT id, user_id, kind, value, source FROM identities ORDER BY id"
    )
    op.drop_table("identities")
    op.rename_table("_identities_new", "identities")
    op.create_index("ix_identities_user_id", "identities", ["user_id"])

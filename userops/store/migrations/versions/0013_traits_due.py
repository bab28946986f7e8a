"""traits_due: records whose trait rows are due after ingestion, durable across a crash

One row per ingest transaction (the records it touched), written in that transaction and
deleted in the transaction that updates their traits (``userops.cdp.traits_due``), so a
process killed between the two leaves the row for the next catch-up. See docs/traits.md.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "traits_due",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_ids", sa.Text(), nullable=False),
        sa.Column("marked_ts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("traits_due")

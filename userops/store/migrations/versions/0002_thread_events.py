"""thread events (SSE across API processes) and the approvals inbox index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "thread_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("thread_id", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_thread_events_thread", "thread_events", ["thread_id", "id"])
    op.create_index("ix_approvals_inbox", "approvals", ["status", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_approvals_inbox", table_name="approvals")
    op.drop_index("ix_thread_events_thread", table_name="thread_events")
    op.drop_table("thread_events")

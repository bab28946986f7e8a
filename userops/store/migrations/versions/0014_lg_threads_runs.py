"""lg_threads, lg_runs: the LangGraph API's thread metadata and run records

``lg_threads`` keeps a thread's owner and client metadata from ``threads.create`` on (so
it exists before its first run); ``lg_runs`` one row per run with its status, for
``runs.get`` / ``runs.list`` / ``join`` in any API process (``userops.threads.tables``).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lg_threads",
        sa.Column("thread_id", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("thread_id"),
    )
    op.create_table(
        "lg_runs",
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("thread_id", sa.String(64), nullable=False),
        sa.Column("assistant_id", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("kwargs", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id"),
    )
    op.create_index("ix_lg_runs_thread", "lg_runs", ["thread_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_lg_runs_thread", table_name="lg_runs")
    op.drop_table("lg_runs")
    op.drop_table("lg_threads")

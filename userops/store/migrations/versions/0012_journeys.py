"""journeys: always-on journeys, their versions, per-user state and timers, steps done

A journey's versions each need an approval; workers advance the members (``journey_members``,
claimed by ``state, due_ts``) and record every node a member has been through once
(``journey_steps_done``, unique per version, user, entry, node and visit). See
docs/journeys.md.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("live_version", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "journey_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("approved_ts", sa.BigInteger(), nullable=True),
        sa.Column("event_cursor", sa.BigInteger(), nullable=False),
        sa.Column("first_event", sa.BigInteger(), nullable=False),
        sa.Column("scan_ts", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["journey_id"], ["journeys.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("journey_id", "version", name="ux_journey_versions"),
    )
    op.create_index("ix_journey_versions_journey_id", "journey_versions", ["journey_id"])
    op.create_table(
        "journey_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("entry_no", sa.Integer(), nullable=False),
        sa.Column("entry_key", sa.String(length=64), nullable=False),
        sa.Column("node_id", sa.String(length=32), nullable=False),
        sa.Column("visit", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("due_ts", sa.BigInteger(), nullable=False),
        sa.Column("entered_ts", sa.BigInteger(), nullable=False),
        sa.Column("since_ts", sa.BigInteger(), nullable=False),
        sa.Column("entry_event", sa.BigInteger(), nullable=False),
        sa.Column("node_event", sa.BigInteger(), nullable=False),
        sa.Column("woke_event", sa.BigInteger(), nullable=True),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("exit_reason", sa.String(length=32), nullable=True),
        sa.Column("exited_ts", sa.BigInteger(), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until_ts", sa.BigInteger(), nullable=True),
        sa.Column("attrs", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["version_id"], ["journey_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_journey_members_due", "journey_members", ["state", "due_ts"])
    op.create_index(
        "ux_journey_members_entry",
        "journey_members",
        ["version_id", "user_id", "entry_no"],
        unique=True,
    )
    op.create_index(
        "ux_journey_members_key", "journey_members", ["version_id", "entry_key"], unique=True
    )
    op.create_index("ix_journey_members_user", "journey_members", ["journey_id", "user_id"])
    op.create_index(
        "ix_journey_members_node", "journey_members", ["version_id", "node_id", "state"]
    )
    op.create_table(
        "journey_steps_done",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("entry_no", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(length=32), nullable=False),
        sa.Column("visit", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=True),
        sa.Column("variant", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("next_node", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_journey_steps_done",
        "journey_steps_done",
        ["version_id", "user_id", "entry_no", "node_id", "visit"],
        unique=True,
    )
    op.create_index("ix_journey_steps_user", "journey_steps_done", ["journey_id", "user_id", "ts"])
    op.create_table(
        "journey_segment_seen",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("version_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("journey_segment_seen")
    op.drop_index("ix_journey_steps_user", table_name="journey_steps_done")
    op.drop_index("ux_journey_steps_done", table_name="journey_steps_done")
    op.drop_table("journey_steps_done")
    for name in (
        "ix_journey_members_node",
        "ix_journey_members_user",
        "ux_journey_members_key",
        "ux_journey_members_entry",
        "ix_journey_members_due",
    ):
        op.drop_index(name, table_name="journey_members")
    op.drop_table("journey_members")
    op.drop_index("ix_journey_versions_journey_id", table_name="journey_versions")
    op.drop_table("journey_versions")
    op.drop_table("journeys")

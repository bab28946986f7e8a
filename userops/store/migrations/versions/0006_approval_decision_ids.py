"""approvals: decision ids scoped per approval; the last editor of a plan revision

``client_decision_id`` was unique across all approvals: a client reusing its id on a second
approval made the decision's UPDATE fail inside the graph after the interrupt was consumed,
and the thread was wedged. An idempotency key only has to be unique per approval (the
approval id is the primary key), so the unique constraint goes. ``edited_by`` records who
last changed the plan of a revision (an approver's edit); that person may not approve it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_CONSTRAINT = "approvals_client_decision_id_key"
"""PostgreSQL's name for the unnamed constraint of revision 0001."""
INDEXES = {
    "ix_approvals_campaign_id": ["campaign_id"],
    "ix_approvals_status": ["status"],
    "ix_approvals_thread_id": ["thread_id"],
    "ix_approvals_inbox": ["status", "created_at", "id"],
}
COLUMNS = (
    "id, campaign_id, thread_id, revision, status, risk_tier, card, requested_by,"
    " decided_by, decision, comment, client_decision_id, created_at, decided_at"
)
_KEEP_FIRST = (
    "UPDATE approvals SET client_decision_id = NULL WHERE client_decision_id IS NOT NULL"
    " AND id NOT IN (SELECT min(id) FROM approvals WHERE client_decision_id IS NOT NULL"
    " GROUP BY client_decision_id)"
)
"""Before the global constraint comes back: only the oldest approval keeps a shared id."""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(PG_CONSTRAINT, "approvals", type_="unique")
        op.add_column("approvals", sa.Column("edited_by", sa.String(length=64), nullable=True))
    else:
        _rebuild(new=True)


def downgrade() -> None:
    op.execute(_KEEP_FIRST)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("approvals", "edited_by")
        op.create_unique_constraint(PG_CONSTRAINT, "approvals", ["client_decision_id"])
    else:
        _rebuild(new=False)


def _rebuild(*, new: bool) -> None:
    """SQLite: copy ``approvals`` into a table of the new (or the old) shape."""
    extra: list[sa.Column[str] | sa.UniqueConstraint] = (
        [sa.Column("edited_by", sa.String(length=64), nullable=True)]
        if new
        else [sa.UniqueConstraint("client_decision_id")]
    )
    op.create_table(
        "_approvals_new",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("thread_id", sa.String(length=64), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("risk_tier", sa.String(length=8), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decision", sa.JSON(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("client_decision_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.PrimaryKeyConstraint("id"),
        *extra,
    )
    op.execute(f"INSERT INTO _approvals_new ({COLUMNS}) SELECT {COLUMNS} FROM approvals")
    op.drop_table("approvals")
    op.rename_table("_approvals_new", "approvals")
    for name, cols in INDEXES.items():
        op.create_index(name, "approvals", cols)

"""feedback: call traits on the trait rows, and the replay list of signed callbacks

Provider callbacks (docs/channels.md, "Provider feedback") write ``call_outcome`` events
whose intent and tags become ``traits.last_call_intent``, ``traits.call_tags`` and
``traits.last_call_ts``; a signed callback's signature is remembered in
``callback_replays`` while its timestamp is within the tolerance, so it is accepted once.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("traits") as batch_op:
        batch_op.add_column(sa.Column("last_call_intent", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("call_tags", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("last_call_ts", sa.BigInteger(), nullable=True))
    op.create_table(
        "callback_replays",
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("seen_ts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("signature"),
    )
    with op.batch_alter_table("callback_replays") as batch_op:
        batch_op.create_index(batch_op.f("ix_callback_replays_seen_ts"), ["seen_ts"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("callback_replays") as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_replays_seen_ts"))
    op.drop_table("callback_replays")
    with op.batch_alter_table("traits") as batch_op:
        batch_op.drop_column("last_call_ts")
        batch_op.drop_column("call_tags")
        batch_op.drop_column("last_call_intent")

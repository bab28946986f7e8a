"""store_meta: facts about the store itself (the ``simulated`` mark of seed/demo/eval stores)

Simulated responses and moved clocks may run only on a store made for them; the mark lives
in the store so that it travels with the file (a copied eval store stays simulated, a real
store never is). No row is written here: an existing store is not simulated until seed,
demo or eval marks it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("store_meta")

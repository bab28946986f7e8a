"""drop ix_identities_kind_value: the unique (kind, value, user_id) index already serves it

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_identities_kind_value", table_name="identities")


def downgrade() -> None:
    op.create_index("ix_identities_kind_value", "identities", ["kind", "value"])

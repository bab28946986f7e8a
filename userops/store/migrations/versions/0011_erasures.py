"""erasures: keyed digests of the identifiers of erased persons (docs/privacy.md)

``userops privacy erase`` removes a person and keeps only keyed digests of their record ids
and identifiers, so that a re-import is reported as "belongs to an erased person; imported
as a new user" and a second erase answers "already erased".

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_erasures_request_id", "erasures", ["request_id"])
    op.create_index("ix_erasures_kind_digest", "erasures", ["kind", "digest"])


def downgrade() -> None:
    op.drop_index("ix_erasures_kind_digest", table_name="erasures")
    op.drop_index("ix_erasures_request_id", table_name="erasures")
    op.drop_table("erasures")

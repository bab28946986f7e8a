"""traits_preview_index: a covering index for the segment preview's aggregate pass (SQLite)

Every catalog column of ``traits`` in one index, the preview's group keys (region, reach list)
first: SQLite answers a trait-only segment preview from this narrow index in group order
instead of scanning the wide rows (summaries, hashes) and sorting. PostgreSQL scans the table
in parallel and is not given it. See docs/segments.md.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

from alembic import op

COLUMNS = [
    "region", "reachable_channels", "lifecycle_stage", "ltv_tier", "preferred_channel",
    "churn_risk", "ltv_12m", "days_since_last_order", "days_since_signup", "orders_90d",
    "orders_total", "monetary_365d", "aov", "p_alive", "expected_orders_90d",
    "price_sensitivity", "contacts_7d", "language", "rfm_segment", "timezone", "interests",
    "content_affinity", "satisfaction", "last_contacted_ts", "last_call_intent", "call_tags",
    "last_call_ts",
]  # fmt: skip
"""``userops.store.models.PREVIEW_COLUMNS`` as of this revision."""

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_traits_preview", "traits", COLUMNS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_traits_preview", table_name="traits")

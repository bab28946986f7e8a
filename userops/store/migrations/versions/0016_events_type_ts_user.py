"""events_type_ts_user: ix_events_type_ts also holds user_id (segment event predicates)

A segment's event predicate selects the users with events of one type in a time range
(``userops.cdp.segments.sql``). With ``user_id`` in the (type, ts) index the store answers
it from the index alone instead of reading every matching event row: at 10M events that is
millions of table reads fewer. Same name, so the trait build's per-type probe is unchanged.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 17:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_events_type_ts", table_name="events")
    op.create_index("ix_events_type_ts", "events", ["type", "ts", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_events_type_ts", table_name="events")
    op.create_index("ix_events_type_ts", "events", ["type", "ts"])

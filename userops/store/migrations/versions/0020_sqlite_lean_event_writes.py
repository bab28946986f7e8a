"""sqlite_lean_event_writes: two indexes fewer for each event written on SQLite

Migration 0018's row trigger keeps ``event_counts`` on every event insert; on SQLite it made
an event cost ~45 µs of store CPU instead of ~17 (100k events in batches of 1,000 into a
store with this schema, raw ``executemany``, two runs each) and real-time ingest fell from
20,979 to 14,815 events/s on this 2-core machine (``BENCH_ONLY=ingest``, quiet, under the
20,000 goal). Most of it is index upkeep: the trigger's upsert moves the row in
``ix_event_counts_type_n`` (``n`` changes on every event), and an insert with a trigger
checks ``ix_events_type_user`` the slow way. Without both: ~19-21 µs an event. What they
served, on SQLite:

* ``ix_event_counts_type_n (type, n, user_id)``: ``n >= 3`` as a range; the primary key
  ``(type, user_id)`` gives the same rows as a prefix scan with a filter (one type's rows);
* ``ix_events_type_user (type, user_id)`` (0017): counting events per user without a sort;
  counts over all time on an event type alone now read ``event_counts`` instead, and the
  rest (a ``where`` on properties over all time) sort the events of that type by user.

PostgreSQL keeps both: its statement trigger upserts once per statement.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 20:58:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_DROPPED = (("ix_event_counts_type_n", "event_counts"), ("ix_events_type_user", "events"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, _table in SQLITE_DROPPED:
        op.execute(f"DROP INDEX IF EXISTS {name}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.create_index("ix_events_type_user", "events", ["type", "user_id"])
    op.create_index("ix_event_counts_type_n", "event_counts", ["type", "n", "user_id"])

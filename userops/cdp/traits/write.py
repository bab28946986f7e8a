"""Bulk write of the traits table: upsert every canonical user's row in one transaction.

Rows are upserted (``INSERT ... ON CONFLICT (user_id) DO UPDATE``) over the computed columns
only, so ``summary``, ``summary_hash`` and ``indexed_hash`` (filled by profile search) survive
a rebuild. Rows of records that were merged away are deleted. SQLite takes a raw
``executemany``; PostgreSQL takes ``COPY`` into a temporary table, then one upsert (a few rows,
as an incremental update writes: ``executemany``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

from userops.errors import UsageError
from userops.store.bulk import copy_rows

TRAIT_COLUMNS: tuple[str, ...] = (
    "user_id",
    "as_of_ts",
    "language",
    "region",
    "timezone",
    "days_since_signup",
    "lifecycle_stage",
    "days_since_last_order",
    "orders_90d",
    "orders_total",
    "monetary_365d",
    "aov",
    "rfm_segment",
    "p_alive",
    "expected_orders_90d",
    "ltv_12m",
    "ltv_tier",
    "churn_risk",
    "preferred_channel",
    "reachable_channels",
    "interests",
    "price_sensitivity",
    "content_affinity",
    "contacts_7d",
    "last_contacted_ts",
    "satisfaction",
)


COPY_FROM = 500
"""From this many rows PostgreSQL loads them with ``COPY`` (fewer: ``executemany``, which
creates no temporary table: incremental updates run many times a second)."""


def _upsert_sql(source: str) -> str:
    cols = ", ".join(TRAIT_COLUMNS)
    sets = ", ".join(f"{c} = excluded.{c}" for c in TRAIT_COLUMNS[1:])
    return f"INSERT INTO traits ({cols}) {source} ON CONFLICT (user_id) DO UPDATE SET {sets}"


def write_traits(
    conn: Connection, rows: Sequence[tuple[Any, ...]], records: Sequence[int] | None = None
) -> None:
    """Upsert ``rows`` (tuples in :data:`TRAIT_COLUMNS` order) and drop merged users' rows.

    Runs inside the caller's transaction on ``conn``. ``records`` limits the drop to those
    user records (an incremental update); None looks at every merged record.
    """
    raw = conn.connection.dbapi_connection
    if raw is None:
        raise UsageError("write_traits needs an open connection")
    cur: Any
    cols = ", ".join(TRAIT_COLUMNS)
    if conn.dialect.name == "postgresql" and len(rows) < COPY_FROM:
        cur = raw.cursor()
        marks = ", ".join("%s" for _ in TRAIT_COLUMNS)
        cur.executemany(_upsert_sql(f"VALUES ({marks})"), rows)  # no temporary table
        cur.close()
    elif conn.dialect.name == "postgresql":
        conn.execute(
            text("CREATE TEMP TABLE traits_load (LIKE traits INCLUDING DEFAULTS) ON COMMIT DROP")
        )
        cur = raw.cursor()
        copy_rows(cur, "traits_load", TRAIT_COLUMNS, rows)
        conn.execute(text(_upsert_sql(f"SELECT {cols} FROM traits_load")))
        conn.execute(text("DROP TABLE traits_load"))
    else:
        marks = ", ".join("?" for _ in TRAIT_COLUMNS)
        cur = raw.cursor()
        # "WHERE true" lets SQLite parse ON CONFLICT after VALUES unambiguously
        cur.executemany(_upsert_sql(f"SELECT {marks} WHERE true"), rows)
        cur.close()
    stale = "SELECT id FROM users WHERE merged_into IS NOT NULL"
    if records is not None:
        stale += f" AND id IN ({', '.join(str(int(r)) for r in records) or 'NULL'})"
    conn.execute(text(f"DELETE FROM traits WHERE user_id IN ({stale})"))

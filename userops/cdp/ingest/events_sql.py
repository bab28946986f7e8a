"""Set-based write of validated events: staged, user ids joined in SQL, insert-or-ignore.

The events (an Arrow table) are staged as ``tmp_import_events``: on SQLite a scratch database
filled while the file is parsed and ATTACHed around the transaction (:data:`STAGE`); on
PostgreSQL a temporary table filled by ``COPY``. External user ids are mapped with one
``UPDATE``, and new events go in with one ``INSERT ... SELECT ... ON CONFLICT (dedupe_key)
DO NOTHING`` in file order (the first of equal events wins).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Connection, Table, text

from userops.cdp.ingest.event_keys import VALUES
from userops.store.bulk import fewer_rows, indexes_rebuilt
from userops.store.models import Event
from userops.store.staging import StagingTable

TMP = "tmp_import_events"
TMP_NEW = "tmp_import_new_events"
REBUILD_MIN = 50_000
"""From this many events on (into a table holding fewer), indexes are built after the insert."""
_EVENTS = cast(Table, Event.__table__)
COLS = ("event_id", "user_ext", *VALUES, "dedupe_key")
"""Columns of the parsed events table, in order."""
_TYPES = {"ts": "BIGINT", "amount": "DOUBLE PRECISION", "quantity": "BIGINT"}
STAGE = StagingTable(TMP, {c: _TYPES.get(c, "TEXT") for c in COLS})
_STORED = (*VALUES, "dedupe_key")
"""Columns copied into ``events`` (besides ``user_id``)."""


def insert_new(conn: Connection, rows: int, *, distinct: bool) -> int:
    """Insert the ``rows`` staged events whose dedupe key is not stored yet; return how many.

    From ``REBUILD_MIN`` rows on, into a table holding fewer, the new events are picked first
    (with the unique index; all of them into an empty table when the file's keys are
    ``distinct``), then inserted with the indexes dropped and built after.
    """
    pg = conn.dialect.name == "postgresql"
    props = "CAST(properties AS JSON)" if pg else "properties"
    insert = (
        f"INSERT INTO events (user_id, {', '.join(_STORED)})"
        f" SELECT user_id, {', '.join(props if c == 'properties' else c for c in _STORED)}"
        f" FROM {TMP}"
    )
    if rows >= REBUILD_MIN and distinct and fewer_rows(conn, "events", 1):
        with indexes_rebuilt(conn, _EVENTS, True):
            res = conn.execute(text(f"{insert} ORDER BY pos"))
    elif rows >= REBUILD_MIN and fewer_rows(conn, "events", rows):
        conn.execute(
            text(
                f"CREATE TEMPORARY TABLE {TMP_NEW} AS SELECT min(pos) AS pos FROM {TMP} t"
                " WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.dedupe_key = t.dedupe_key)"
                " GROUP BY dedupe_key"
            )
        )
        with indexes_rebuilt(conn, _EVENTS, True):
            sql = f"{insert} WHERE pos IN (SELECT pos FROM {TMP_NEW}) ORDER BY pos"
            res = conn.execute(text(sql))
        conn.execute(text(f"DROP TABLE {TMP_NEW}"))
    else:
        sql = f"{insert} WHERE true ORDER BY pos ON CONFLICT (dedupe_key) DO NOTHING"
        res = conn.execute(text(sql))
    STAGE.drop(conn)
    return int(res.rowcount)

"""Set-based write of validated user records: one bulk load, then a few SQL statements.

The records (an Arrow table) are staged as ``tmp_import_users``: on SQLite a scratch database
written by ADBC while the file is parsed and ATTACHed around the transaction
(:data:`STAGE`); on PostgreSQL a temporary table filled by ``COPY``. The upserts then run
as ``INSERT ... SELECT`` / ``UPDATE ... FROM`` statements, so the per-row work happens inside
the database. New users get ids in file order; new identities are numbered in
``(kind, user_id)`` order (kinds in code-point order) on both databases.
"""

from __future__ import annotations

import time
from operator import itemgetter
from typing import cast

import pyarrow as pa
from sqlalchemy import Connection, Table, text

from userops.cdp.ingest.rows import Counts
from userops.domain import IdentityKind
from userops.store.bulk import fewer_rows, indexes_rebuilt
from userops.store.models import Identity
from userops.store.staging import StagingTable

TMP = "tmp_import_users"
TMP_IDS = "tmp_import_ids"
COLS = (
    "external_id",
    "name",
    "phone",
    "email",
    "wechat_openid",
    "wechat_unionid",
    "device_id",
    "timezone",
    "language",
    "region",
    "source",
    "created_ts",
)
"""Columns of a parsed record, in order (``external_id`` is the file's ``user_id``)."""
KINDS = tuple(sorted(k.value for k in IdentityKind))
"""Identity kinds in code-point order: new identity rows are numbered by (kind, user id)."""
DEFAULTS = {"timezone": "'Asia/Shanghai'", "language": "'zh'", "source": "'import'"}
REBUILD_MIN = 50_000
"""From this many records on (and more than ``identities`` holds), its indexes are dropped
for the insert and built after it, in the same transaction (a sort instead of one random
B-tree insert per row and index). The rows inserted are unique by construction (new users,
or identities checked against the index before it is dropped); building the unique index
checks it again."""
_IDENTITIES = cast(Table, Identity.__table__)
STAGE = StagingTable(TMP, {c: "BIGINT" if c == "created_ts" else "TEXT" for c in COLS})
"""Where the records wait for :func:`write` (its ``scratch`` is filled while parsing)."""
_DIFF = " OR ".join(f"(t.{c} IS NOT NULL AND (u.{c} IS NULL OR u.{c} <> t.{c}))" for c in COLS[1:])
"""A stored user differs from its record (empty cells never count)."""


def write(conn: Connection, table: pa.Table, *, with_ids: bool = True) -> Counts:
    """Upsert the records of ``table`` and their identities inside the caller's transaction.

    On SQLite the records must be in ``STAGE.scratch`` ATTACHed to ``conn``.
    ``with_ids=False`` leaves ``Counts.user_ids`` empty (the caller resolves the whole store).
    """
    pg = conn.dialect.name == "postgresql"
    if not pg:  # take SQLite's write lock now: no other writer can add users after max(id)
        conn.exec_driver_sql("UPDATE users SET id = id WHERE 0")
    had_users = conn.execute(text("SELECT 1 FROM users LIMIT 1")).first() is not None
    max_before = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM users")).scalar_one())
    now = int(time.time())
    changed: set[int] = set()
    STAGE.fill(conn, table)
    if had_users:
        match = f"SELECT u.id FROM users u WHERE u.external_id = {TMP}.external_id"
        conn.execute(text(f"UPDATE {TMP} SET user_id = ({match})"))
        changed = _update(conn)
    inserted = _insert_staged(conn, now)
    new = f"u.id > {max_before}"
    if pg:  # other sessions may have committed users since: keep only ours
        new += f" AND u.external_id IN (SELECT external_id FROM {TMP} WHERE user_id IS NULL)"
    rebuild = table.num_rows >= REBUILD_MIN and fewer_rows(conn, "identities", table.num_rows)
    touched, n_ident = _identities(conn, new, pg, had_users, rebuild)
    counts = Counts(inserted=inserted, updated=len(changed | touched))
    counts.unchanged = table.num_rows - counts.inserted - counts.updated
    counts.extra["identities_added"] = n_ident
    if with_ids:
        ids = f"SELECT u.id FROM users u WHERE {new}"
        if had_users:
            ids += f" UNION ALL SELECT user_id FROM {TMP} WHERE user_id IS NOT NULL"
        cur = conn.connection.cursor()  # the driver's own rows: 300k ids without Row objects
        try:
            cur.execute(ids)
            counts.user_ids = sorted(map(itemgetter(0), cur.fetchall()))
        finally:
            cur.close()
    STAGE.drop(conn)
    return counts


def _values(source: str, now: int) -> str:
    """The SELECT list (or VALUES row) of a new user: ``source`` per column, defaults applied."""
    vals = [
        f"coalesce({source.format(c)}, {DEFAULTS[c]})" if c in DEFAULTS else source.format(c)
        for c in COLS
    ]
    vals[-1] = f"coalesce({source.format('created_ts')}, {now})"
    return ", ".join(vals)


def _update(conn: Connection) -> set[int]:
    """Apply the non-empty values that differ from stored users; return those users."""
    found = conn.execute(
        text(f"SELECT t.user_id FROM {TMP} t JOIN users u ON u.id = t.user_id WHERE {_DIFF}")
    )
    changed = {int(i) for (i,) in found}
    if changed:
        sets = ", ".join(f"{c} = coalesce(t.{c}, users.{c})" for c in COLS[1:])
        diff = _DIFF.replace("u.", "users.")
        conn.execute(
            text(f"UPDATE users SET {sets} FROM {TMP} t WHERE users.id = t.user_id AND ({diff})")
        )
    return changed


def _insert_staged(conn: Connection, now: int) -> int:
    """Insert the staged records of unknown external ids, in file order; return how many."""
    res = conn.execute(
        text(
            f"INSERT INTO users ({', '.join(COLS)}, do_not_contact) SELECT {_values('{}', now)},"
            f" :no FROM {TMP} WHERE user_id IS NULL ORDER BY pos"
        ),
        {"no": False},
    )
    return int(res.rowcount)


def _identities(
    conn: Connection, new: str, pg: bool, had_users: bool, rebuild: bool
) -> tuple[set[int], int]:
    """Insert identities not yet stored; return the existing users touched and the count."""
    parts = [
        f"SELECT '{k}' AS kind, u.{k} AS value, u.id AS user_id, u.source AS source"
        f" FROM users u WHERE {new} AND u.{k} IS NOT NULL"
        for k in KINDS
    ]
    touched: set[int] = set()
    if had_users:
        old = " UNION ALL ".join(
            f"SELECT '{k}' AS kind, {k} AS value, user_id, coalesce(source, 'import') AS source"
            f" FROM {TMP} WHERE user_id IS NOT NULL AND {k} IS NOT NULL"
            for k in KINDS
        )
        conn.execute(
            text(
                f"CREATE TEMPORARY TABLE {TMP_IDS} AS SELECT * FROM ({old}) x WHERE NOT EXISTS"
                " (SELECT 1 FROM identities i"
                " WHERE i.kind = x.kind AND i.value = x.value AND i.user_id = x.user_id)"
            )
        )
        touched = {int(u) for (u,) in conn.execute(text(f"SELECT DISTINCT user_id FROM {TMP_IDS}"))}
        parts.append(f"SELECT kind, value, user_id, source FROM {TMP_IDS}")
    # New rows are numbered by (kind, user id) in code-point order. Into a SQLite store without
    # users the parts already come that way (rowid scans), so the sort is left out: it costs
    # more than the B-tree inserts it would make sequential.
    order = ' ORDER BY kind COLLATE "C", user_id' if pg else " ORDER BY kind, user_id"
    if not (pg or had_users):
        order = ""
    insert = text(
        "INSERT INTO identities (kind, value, user_id, source) SELECT kind, value, user_id,"
        f" source FROM ({' UNION ALL '.join(parts)}) x{order}"
    )
    with indexes_rebuilt(conn, _IDENTITIES, rebuild):
        res = conn.execute(insert)
    if had_users:
        conn.execute(text(f"DROP TABLE {TMP_IDS}"))
    return touched, int(res.rowcount)

"""Set-based write of validated consents: newest per (record, channel) wins, audited in SQL.

The consents (an Arrow table) are staged as ``tmp_import_consents`` (a scratch database on
SQLite, a temporary table filled by ``COPY`` on PostgreSQL). After the user ids are mapped,
one statement picks the newest row per (record, channel) of the file (a later row wins a tie)
and keeps those newer than the stored consent; the consents are inserted or updated and one
audit row per change is written, all in ``(record, channel)`` order.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, DateTime, TextClause, bindparam, text

from userops.store.staging import StagingTable

TMP = "tmp_import_consents"
CHANGES = "tmp_import_consent_changes"
COLS = ("user_ext", "channel", "status", "source", "ts")
"""Columns of the parsed consents table, in order."""
ACTOR = "import"
STAGE = StagingTable(TMP, {c: "BIGINT" if c == "ts" else "TEXT" for c in COLS})


def apply(conn: Connection, file: str) -> tuple[int, int]:
    """Insert or update the consents that change; audit each. Return (inserted, updated)."""
    pg = conn.dialect.name == "postgresql"
    conn.execute(text(f"DROP TABLE IF EXISTS {CHANGES}"))
    conn.execute(
        text(
            f"CREATE TEMPORARY TABLE {CHANGES} AS"
            " SELECT l.user_id, l.channel, l.status, l.source, l.ts, c.id AS old_id,"
            " c.status AS old_status, c.source AS old_source, c.ts AS old_ts FROM ("
            "SELECT t.*, row_number() OVER (PARTITION BY user_id, channel"
            f" ORDER BY ts DESC, pos DESC) AS rn FROM {TMP} t) l"
            " LEFT JOIN consents c ON c.user_id = l.user_id AND c.channel = l.channel"
            " WHERE l.rn = 1 AND (c.id IS NULL OR l.ts > c.ts)"
        )
    )
    order = ' ORDER BY user_id, channel COLLATE "C"' if pg else " ORDER BY user_id, channel"
    inserted = conn.execute(
        text(
            "INSERT INTO consents (user_id, channel, status, source, ts)"
            f" SELECT user_id, channel, status, source, ts FROM {CHANGES}"
            f" WHERE old_id IS NULL{order}"
        )
    ).rowcount
    updated = conn.execute(
        text(
            "UPDATE consents SET status = x.status, source = x.source, ts = x.ts"
            f" FROM {CHANGES} x WHERE consents.id = x.old_id"
        )
    ).rowcount
    conn.execute(_audit(pg, order), {"file": file})
    conn.execute(text(f"DROP TABLE {CHANGES}"))
    STAGE.drop(conn)
    return int(inserted), int(updated)


OPT_OUT = "message_opted_out"
OPT_OUT_SOURCE = "import:opt_out"


def withdraw_opt_outs(conn: Connection, events: str, file: str) -> int:
    """Withdraw the consents that the staged ``message_opted_out`` events of ``events`` end.

    Per (record, channel) the newest opt-out of the file counts; it withdraws the consent when
    no consent is stored, or the stored one is older (a tie goes to the withdrawal, unless it
    is already withdrawn). Opt-outs without a channel withdraw nothing. Each change is audited
    like an imported consent (source ``import:opt_out``). Returns the number of changes.
    """
    pg = conn.dialect.name == "postgresql"
    conn.execute(text(f"DROP TABLE IF EXISTS {CHANGES}"))
    conn.execute(
        text(
            f"CREATE TEMPORARY TABLE {CHANGES} AS"
            " SELECT l.user_id, l.channel, 'withdrawn' AS status,"
            f" '{OPT_OUT_SOURCE}' AS source, l.ts, c.id AS old_id,"
            " c.status AS old_status, c.source AS old_source, c.ts AS old_ts FROM ("
            f"SELECT user_id, channel, max(ts) AS ts FROM {events} WHERE type = '{OPT_OUT}'"
            " AND channel IS NOT NULL AND user_id IS NOT NULL GROUP BY user_id, channel) l"
            " LEFT JOIN consents c ON c.user_id = l.user_id AND c.channel = l.channel"
            " WHERE c.id IS NULL OR l.ts > c.ts OR (l.ts = c.ts AND c.status <> 'withdrawn')"
        )
    )
    order = ' ORDER BY user_id, channel COLLATE "C"' if pg else " ORDER BY user_id, channel"
    conn.execute(
        text(
            "INSERT INTO consents (user_id, channel, status, source, ts)"
            f" SELECT user_id, channel, status, source, ts FROM {CHANGES}"
            f" WHERE old_id IS NULL{order}"
        )
    )
    conn.execute(
        text(
            "UPDATE consents SET status = x.status, source = x.source, ts = x.ts"
            f" FROM {CHANGES} x WHERE consents.id = x.old_id"
        )
    )
    n = int(conn.execute(text(f"SELECT count(*) FROM {CHANGES}")).scalar_one())
    if n:
        conn.execute(_audit(pg, order), {"file": file})
    conn.execute(text(f"DROP TABLE {CHANGES}"))
    return n


def _audit(pg: bool, order: str) -> TextClause:
    """One ``consent.set`` audit row per change, its detail built by the database."""
    obj = "json_build_object" if pg else "json_object"
    new = f"{obj}('status', status, 'source', source, 'ts', ts)"
    old = f"{obj}('status', old_status, 'source', old_source, 'ts', old_ts)"
    old = f"CASE WHEN old_id IS NULL THEN NULL ELSE {old} END"
    if not pg:
        old = f"json({old})"  # keep it JSON (not a string) inside the detail
    file = "CAST(:file AS TEXT)"
    detail = (
        f"{obj}('user_id', user_id, 'channel', channel, 'old', {old}, 'new', {new}, 'file', {file})"
    )
    return text(
        "INSERT INTO audit (at, actor, action, entity_type, entity_id, detail)"
        f" SELECT :at, '{ACTOR}', 'consent.set', 'consent',"
        f" CAST(user_id AS TEXT) || ':' || channel, {detail} FROM {CHANGES}{order}"
    ).bindparams(bindparam("at", value=datetime.now(UTC), type_=DateTime(timezone=True)))

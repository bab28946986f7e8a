"""Import of user records: validate every row, then upsert users and their identities."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, select, update

from userops.cdp import validate as v
from userops.cdp.readers import Reader
from userops.cdp.rows import Counts, Field, RowChecker, Ticker, bulk_insert, chunks
from userops.domain import IdentityKind
from userops.errors import Problem
from userops.store.models import Identity, User

FIELDS: dict[str, Field] = {
    "user_id": Field(v.text(128), required=True),
    "name": Field(v.text(200)),
    "phone": Field(v.phone),
    "email": Field(v.email),
    "wechat_openid": Field(v.text(128)),
    "wechat_unionid": Field(v.text(128)),
    "device_id": Field(v.text(128)),
    "timezone": Field(v.timezone),
    "language": Field(v.language),
    "region": Field(v.text(64)),
    "source": Field(v.source),
    "created_at": Field(v.timestamp),
}
"""Importable user columns; ``user_id`` becomes ``users.external_id``."""

DEFAULT_COLUMNS = (
    "user_id, name, phone, email, wechat_openid, device_id, timezone, language, region, created_at"
)
IDENTITY_KINDS = tuple(k.value for k in IdentityKind)
STORED = ("name", *IDENTITY_KINDS, "timezone", "language", "region", "source", "created_ts")
DEFAULTS: dict[str, Any] = {"timezone": "Asia/Shanghai", "language": "zh", "source": "import"}
INSERT_COLS = ("external_id", *STORED, "do_not_contact")
FULL_SCAN_MIN = 50_000
"""From this many rows on, stored users are read in one scan instead of chunked look-ups."""
_USERS = cast(Table, User.__table__)
_IDS = cast(Table, Identity.__table__)


@dataclass
class Parsed:
    """Validated user records of one file, keyed by external id."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    rows: int = 0


def parse(reader: Reader, ticker: Ticker) -> Parsed:
    """Validate every row of ``reader``; problems go to ``reader.problems``."""
    out = Parsed()
    first_line: dict[str, int] = {}
    problems = reader.problems
    name = reader.name
    check = RowChecker(FIELDS, reader.name, problems)
    for line, row in reader.rows():
        out.rows += 1
        ticker.tick()
        rec = check(row, line)
        if rec is None:
            continue
        ext = rec.pop("user_id")
        if ext in first_line:
            problems.append(
                Problem(
                    f"duplicate user_id (first on line {first_line[ext]})",
                    field="user_id",
                    value=ext,
                    source=name,
                    line=line,
                )
            )
            continue
        first_line[ext] = line
        if "created_at" in rec:
            rec["created_ts"] = rec.pop("created_at")
        out.records[ext] = rec
    ticker.flush()
    return out


def write(conn: Connection, parsed: Parsed) -> Counts:
    """Upsert the parsed records and their identities inside the caller's transaction."""
    records = parsed.records
    existing = _load_existing(conn, records)
    new_rows, updates = _plan(records, existing)
    max_before = conn.execute(select(func.coalesce(func.max(_USERS.c.id), 0))).scalar_one()
    bulk_insert(conn, "users", INSERT_COLS, new_rows)
    for rows in updates.values():
        conn.execute(update(_USERS).where(_USERS.c.id == bindparam("_id")), rows)
    ids = {ext: cur["id"] for ext, cur in existing.items()}
    if new_rows:
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        q = f"SELECT external_id, id FROM users WHERE id > {mark}"
        ids.update((e, i) for e, i in _scan(conn, q, (max_before,)) if e in records)
    touched, n_ident = _write_identities(conn, records, ids, existing)
    changed = {r["_id"] for rows in updates.values() for r in rows} | touched
    counts = Counts(inserted=len(new_rows), updated=len(changed))
    counts.unchanged = len(records) - counts.inserted - counts.updated
    counts.extra["identities_added"] = n_ident
    counts.user_ids = sorted(ids.values())
    return counts


def _plan(
    records: dict[str, dict[str, Any]], existing: dict[str, dict[str, Any]]
) -> tuple[list[tuple[Any, ...]], dict[tuple[str, ...], list[dict[str, Any]]]]:
    """Split records into tuples to insert and per-column-set groups of updates."""
    now = int(time.time())
    new_rows: list[tuple[Any, ...]] = []
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    base = dict.fromkeys(STORED)
    base.update(DEFAULTS)
    base["created_ts"] = now
    pick = itemgetter(*STORED)
    for ext, rec in records.items():
        cur = existing.get(ext)
        if cur is None:
            new_rows.append((ext, *pick({**base, **rec}), False))
            continue
        diff = {k: val for k, val in rec.items() if cur[k] != val}
        if diff:
            updates.setdefault(tuple(sorted(diff)), []).append({"_id": cur["id"], **diff})
    return new_rows, updates


def _load_existing(conn: Connection, records: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Stored users with the file's external ids (a full scan when the file is large)."""
    cols = [_USERS.c.id, _USERS.c.external_id, *(_USERS.c[k] for k in STORED)]
    found: dict[str, dict[str, Any]] = {}
    if len(records) >= FULL_SCAN_MIN:
        names = ("id", "external_id", *STORED)
        for tup in _scan(conn, f"SELECT {', '.join(names)} FROM users"):
            if tup[1] in records:
                found[tup[1]] = dict(zip(names, tup, strict=True))
        return found
    for part in chunks(list(records)):
        for row in conn.execute(select(*cols).where(_USERS.c.external_id.in_(part))).mappings():
            found[row["external_id"]] = dict(row)
    return found


def _write_identities(
    conn: Connection,
    records: dict[str, dict[str, Any]],
    ids: dict[str, int],
    existing: dict[str, dict[str, Any]],
) -> tuple[set[int], int]:
    """Insert identities not yet stored; return the existing users touched and the count."""
    have: set[tuple[int, str, str]] = set()
    old_ids = {cur["id"] for cur in existing.values()}
    q = select(_IDS.c.user_id, _IDS.c.kind, _IDS.c.value)
    if len(old_ids) >= FULL_SCAN_MIN:
        rows_ = _scan(conn, "SELECT user_id, kind, value FROM identities")
        have.update((u, k, v) for u, k, v in rows_ if u in old_ids)
    else:
        for part in chunks(sorted(old_ids)):
            have.update((u, k, v) for u, k, v in conn.execute(q.where(_IDS.c.user_id.in_(part))))
    rows: list[tuple[str, str, int, str]] = []
    touched: set[int] = set()
    for ext, rec in records.items():
        uid = ids[ext]
        source = rec.get("source", "import")
        for kind in IDENTITY_KINDS:
            val = rec.get(kind)
            if val is not None and (uid, kind, val) not in have:
                rows.append((kind, val, uid, source))
                if ext in existing:
                    touched.add(uid)
    rows.sort()
    bulk_insert(conn, "identities", ("kind", "value", "user_id", "source"), rows)
    return touched, len(rows)


def _scan(conn: Connection, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run a plain SELECT on the driver cursor of ``conn`` (same transaction, no Row objects)."""
    cur = conn.connection.cursor()
    try:
        cur.execute(sql, params)
        return [tuple(r) for r in cur.fetchall()]
    finally:
        cur.close()

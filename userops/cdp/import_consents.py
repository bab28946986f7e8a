"""Import of consents: upsert by (user record, channel), newer ``ts`` wins, every change audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from userops.cdp import validate as v
from userops.cdp.readers import Reader
from userops.cdp.rows import Counts, Field, RowChecker, Ticker, chunks, resolve_users
from userops.store.models import AuditLog, Consent

FIELDS: dict[str, Field] = {
    "user_id": Field(v.text(128), required=True),
    "channel": Field(v.channel, required=True),
    "status": Field(v.consent_status, required=True),
    "source": Field(v.text(64)),
    "ts": Field(v.timestamp, required=True),
}
"""Importable consent columns; ``user_id`` is the external id of an imported user record."""

ACTOR = "import"
_CONSENTS = cast(Table, Consent.__table__)
_AUDIT = cast(Table, AuditLog.__table__)


@dataclass
class Parsed:
    """The newest consent per (external user id, channel) in one file."""

    rows: int = 0
    latest: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)


def parse(reader: Reader, ticker: Ticker, conn: Connection) -> Parsed:
    """Validate every row and resolve user ids; problems go to ``reader.problems``."""
    out = Parsed()
    problems = reader.problems
    lines: list[tuple[int, str]] = []
    check = RowChecker(FIELDS, reader.name, problems)
    for line, row in reader.rows():
        out.rows += 1
        ticker.tick()
        rec = check(row, line)
        if rec is None:
            continue
        ext = rec.pop("user_id")
        lines.append((line, ext))
        key = (ext, rec["channel"])
        prev = out.latest.get(key)
        if prev is None or rec["ts"] >= prev["ts"]:
            out.latest[key] = rec
    ticker.flush()
    out.user_ids = resolve_users(conn, lines, reader.name, problems)
    return out


def write(conn: Connection, parsed: Parsed, source: str) -> Counts:
    """Apply consents newer than the stored ones and audit each change."""
    wanted = {(parsed.user_ids[ext], ch): rec for (ext, ch), rec in parsed.latest.items()}
    stored: dict[tuple[int, str], dict[str, Any]] = {}
    uids = sorted({u for u, _ in wanted})
    cols = (
        _CONSENTS.c.id,
        _CONSENTS.c.user_id,
        _CONSENTS.c.channel,
        _CONSENTS.c.status,
        _CONSENTS.c.source,
        _CONSENTS.c.ts,
    )
    for part in chunks(uids):
        for row in conn.execute(select(*cols).where(_CONSENTS.c.user_id.in_(part))).mappings():
            stored[(row["user_id"], row["channel"])] = dict(row)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    for (uid, ch), rec in sorted(wanted.items()):
        cur = stored.get((uid, ch))
        new = {"status": rec["status"], "source": rec.get("source"), "ts": rec["ts"]}
        if cur is None:
            inserts.append({"user_id": uid, "channel": ch, **new})
        elif rec["ts"] > cur["ts"]:
            updates.append({"_id": cur["id"], **new})
        else:
            continue
        old = None if cur is None else {k: cur[k] for k in ("status", "source", "ts")}
        audits.append(
            {
                "actor": ACTOR,
                "action": "consent.set",
                "entity_type": "consent",
                "entity_id": f"{uid}:{ch}",
                "detail": {"user_id": uid, "channel": ch, "old": old, "new": new, "file": source},
            }
        )
    for batch in chunks(inserts):
        conn.execute(insert(_CONSENTS), list(batch))
    if updates:
        conn.execute(update(_CONSENTS).where(_CONSENTS.c.id == bindparam("_id")), updates)
    for batch in chunks(audits):
        conn.execute(insert(_AUDIT), list(batch))
    counts = Counts(inserted=len(inserts), updated=len(updates))
    counts.unchanged = parsed.rows - counts.inserted - counts.updated
    return counts

"""Export everything the store holds about one person as one JSON document.

The document's shape is fixed (``format`` / ``version``; every section present, empty when
there is nothing; rows in primary-key order, columns by name); docs/privacy.md lists the
sections. Read in one transaction, so it is one consistent picture.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, select

from userops.cdp.dsr.person import USERS, Person, load_person
from userops.cdp.dsr.tables import (
    AUDIT,
    MERGES,
    MESSAGES,
    OWN,
    audit_filter,
    mention_rows,
    merges_filter,
    other_tables,
)

FORMAT = "userops.subject-export"
VERSION = 1


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _rows(conn: Connection, table: Table, where: Any) -> list[dict[str, Any]]:
    order = list(table.primary_key.columns)
    q = select(table).where(where).order_by(*order)
    return [{k: _plain(v) for k, v in r.items()} for r in conn.execute(q).mappings()]


def export_person(engine: Engine, user_id: int, actor: str | None = None) -> dict[str, Any]:
    """Return the export document of the person record ``user_id`` belongs to.

    ``actor``: record the export in the audit (entity: the canonical user; an erase of the
    person deletes that row with the rest).

    Raises:
        NotFound: no such record (:class:`~userops.cdp.dsr.person.AlreadyErased` when the
            id was erased).
    """
    with engine.begin() as conn:
        person = load_person(conn, user_id)
        doc = build(conn, person)
        if actor is not None:
            conn.execute(
                insert(AUDIT).values(
                    at=datetime.now(UTC),
                    actor=actor,
                    action="privacy.export",
                    entity_type="user",
                    entity_id=str(person.canonical_id),
                    detail={"records": len(person.ids)},
                )
            )
        return doc


def build(conn: Connection, person: Person) -> dict[str, Any]:
    """The export document of ``person`` (inside the caller's transaction)."""
    ids = person.ids
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "requested_id": person.requested_id,
        "canonical_id": person.canonical_id,
        "record_ids": ids,
        "records": _rows(conn, USERS, USERS.c.id.in_(ids)),
        "identity_merges": _rows(conn, MERGES, merges_filter(ids)),
    }
    for name, table in OWN:
        doc[name] = _rows(conn, table, table.c.user_id.in_(ids))
    doc["messages"] = {
        name: _rows(conn, table, table.c.user_id.in_(ids)) for name, table in MESSAGES
    }
    doc["audit"] = _rows(conn, AUDIT, audit_filter(ids))
    scrubber = person.scrubber()
    mentions: list[dict[str, Any]] = []
    for table, key, column, value in mention_rows(conn, scrubber, audit_filter(ids)):
        for path, leaf in scrubber.find(value):
            mentions.append(
                {
                    "table": table.name,
                    "id": _plain(key),
                    "column": column,
                    "path": path,
                    "value": leaf,
                }
            )
    doc["mentions"] = mentions
    doc["other"] = {t.name: _rows(conn, t, t.c.user_id.in_(ids)) for t in other_tables(conn)}
    return doc


def summary(doc: dict[str, Any]) -> dict[str, Any]:
    """Counts per section of an export document (what ``--json`` prints)."""
    counts: dict[str, int] = {}
    for key, value in doc.items():
        if isinstance(value, list) and key != "record_ids":
            counts[key] = len(value)
        elif isinstance(value, dict):
            counts.update({f"{key}.{k}": len(v) for k, v in value.items()})
    return {
        "requested_id": doc["requested_id"],
        "canonical_id": doc["canonical_id"],
        "record_ids": doc["record_ids"],
        "counts": counts,
    }


def dumps(doc: dict[str, Any]) -> str:
    """The document as stable JSON text (sorted keys, UTF-8 characters kept)."""
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2, default=str) + "\n"

"""The audit trail: one row per proposal, revision, decision and campaign change."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Table, insert

from userops.store.models import AuditLog, utcnow


def audit(
    conn: Connection,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit row inside the caller's transaction."""
    conn.execute(
        insert(cast(Table, AuditLog.__table__)).values(
            at=utcnow(),
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            detail=detail,
        )
    )

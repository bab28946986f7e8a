"""What the agent said when it proposed a journey version: goal, findings, assumptions.

``userops journeys propose`` (:mod:`agents.planning.journey.propose`) records them in a
``journey.propose`` audit row; the approval card (:func:`userops.journeys.views.show_journey`)
shows them beside the forecast.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from userops.store.models import AuditLog


def proposals(conn: Connection, journey_id: str) -> dict[int, dict[str, Any]]:
    """Per version: ``{"goal", "findings", "assumed", "proposed_by"}`` of its proposal."""
    rows = conn.execute(
        select(AuditLog.actor, AuditLog.detail)
        .where(
            AuditLog.entity_type == "journey",
            AuditLog.entity_id == journey_id,
            AuditLog.action == "journey.propose",
        )
        .order_by(AuditLog.id)
    ).all()
    out: dict[int, dict[str, Any]] = {}
    for actor, detail in rows:
        d = detail if isinstance(detail, dict) else {}
        if isinstance(d.get("version"), int):
            out[int(d["version"])] = {
                "goal": d.get("goal"),
                "findings": d.get("findings") or [],
                "assumed": d.get("assumed") or [],
                "proposed_by": actor,
            }
    return out

"""Store access for the journey planner and evaluator (agents hold no SQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from userops.journeys.records import audit_journey


def granted_by_channel(engine: Engine) -> dict[str, int]:
    """Users with a granted consent, per channel."""
    q = "SELECT channel, COUNT(*) FROM consents WHERE status = 'granted' GROUP BY channel"
    with engine.connect() as conn:
        return {str(c): int(n) for c, n in conn.execute(text(q))}


def record_proposal(engine: Engine, actor: str, journey_id: str, detail: dict[str, Any]) -> None:
    """Audit the agent's proposal of a journey version (goal, findings, forecast)."""
    with engine.begin() as conn:
        audit_journey(conn, actor, "journey.propose", journey_id, detail)

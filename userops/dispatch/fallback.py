"""Fallback steps: no open, click or reply within a window → the next channel.

A step enqueued with a :class:`~userops.dispatch.models.FallbackRule` stores its rule. Once
``after_seconds`` have passed since a message of that step was sent and the user has not
responded to the campaign, a fallback row (step ``<step>-fb``, the rule's channel and
variant) is enqueued — through the same policy as any other message, so consent, caps,
quiet hours and budget apply again. Its idempotency key makes spawning it twice harmless.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

from userops.dispatch.models import DispatchStep, MessageContent
from userops.dispatch.outbox import STEP_ENTITY
from userops.dispatch.policy import Policy

_DUE = text(
    "SELECT o.user_id FROM outbox o WHERE o.campaign_id = :c AND o.step_id = :s"
    " AND o.state = 'sent' AND o.sent_ts <= :cut AND o.channel != :fch"
    " AND NOT EXISTS (SELECT 1 FROM outbox f WHERE f.campaign_id = :c AND f.step_id = :fs"
    " AND f.user_id = o.user_id)"
    " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.campaign_id = :c AND e.user_id = o.user_id"
    " AND e.type IN ('message_opened', 'message_clicked', 'message_replied',"
    " 'message_converted') AND e.ts <= :now)"
)


def fallback_step_id(step_id: str) -> str:
    """The step id of the fallback of ``step_id``."""
    return f"{step_id}-fb"[:32]


def spawn_fallbacks(engine: Engine, *, now_ts: int, policy: Policy | None = None) -> int:
    """Enqueue every fallback that is due at ``now_ts``; return the rows written."""
    from userops.dispatch.engine import enqueue

    with engine.connect() as conn:
        recs = conn.execute(
            text("SELECT entity_id, detail FROM audit WHERE entity_type = :e"), {"e": STEP_ENTITY}
        ).all()
    total = 0
    for entity_id, detail in recs:
        campaign_id, step_id = entity_id.split("|", 1)
        if isinstance(detail, str):  # a text() query returns SQLite JSON as a string
            import json

            detail = json.loads(detail)
        fb, variant, content = (
            detail.get("fallback") or {},
            detail.get("variant"),
            detail.get("content"),
        )
        if not variant or not content or step_id.endswith("-fb"):
            continue
        fs = fallback_step_id(step_id)
        with engine.connect() as conn:
            users = [
                r[0]
                for r in conn.execute(
                    _DUE,
                    {
                        "c": campaign_id,
                        "s": step_id,
                        "fs": fs,
                        "fch": fb["channel"],
                        "cut": now_ts - int(fb["after_seconds"]),
                        "now": now_ts,
                    },
                )
            ]
        if not users:
            continue
        step = DispatchStep(
            campaign_id=campaign_id,
            step_id=fs,
            marketing=bool(detail.get("marketing", True)),
            contents={variant: MessageContent.model_validate(content["content"])},
            assignments=[(u, fb["channel"], variant) for u in users],
            metadata=dict(content.get("fill") or {}),
            send_window=detail.get("send_window"),
        )
        total += enqueue(engine, step, policy=policy, now_ts=now_ts).inserted
    return total

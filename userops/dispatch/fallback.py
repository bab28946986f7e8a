"""Fallback steps: no open, click or reply within a window → the next channel.

A step enqueued with a :class:`~userops.dispatch.models.FallbackRule` stores its rule. Once
``after_seconds`` have passed since a message of that step was sent and the user has not
responded to the campaign, a fallback row (step ``<step>-fb``, the rule's channel) is
enqueued with the variant the rule names for the persona of the user's original content
(``variant_by_persona``, keyed ``persona@language`` for copy in several languages, else
``persona``), else the rule's single variant — through the same policy as any
other message, so consent, caps, quiet hours and budget apply again. Its idempotency key
makes spawning it twice harmless.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, Engine, text

from userops.dispatch.models import DispatchStep, MessageContent
from userops.dispatch.outbox import CONTENT_ENTITY, STEP_ENTITY, get_record
from userops.dispatch.policy import Policy

_DUE = text(
    "SELECT o.user_id, o.content FROM outbox o WHERE o.campaign_id = :c AND o.step_id = :s"
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


def spawn_fallbacks(
    engine: Engine,
    *,
    now_ts: int,
    policy: Policy | None = None,
    campaigns: Collection[str] | None = None,
) -> int:
    """Enqueue every fallback that is due at ``now_ts``; return the rows written.

    ``campaigns``: only the fallbacks of these campaigns (a simulation's own).
    """
    from userops.dispatch.engine import enqueue

    with engine.connect() as conn:
        recs = conn.execute(
            text("SELECT entity_id, detail FROM audit WHERE entity_type = :e"), {"e": STEP_ENTITY}
        ).all()
    total = 0
    for entity_id, detail in recs:
        campaign_id, step_id = entity_id.split("|", 1)
        if campaigns is not None and campaign_id not in campaigns:
            continue
        if isinstance(detail, str):  # a text() query returns SQLite JSON as a string
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
            due = conn.execute(
                _DUE,
                {
                    "c": campaign_id,
                    "s": step_id,
                    "fs": fs,
                    "fch": fb["channel"],
                    "cut": now_ts - int(fb["after_seconds"]),
                    "now": now_ts,
                },
            ).all()
            picks = _pick_variants(conn, due, variant, content, detail.get("by_persona") or {})
        if not picks:
            continue
        step = DispatchStep(
            campaign_id=campaign_id,
            step_id=fs,
            marketing=bool(detail.get("marketing", True)),
            contents={v: MessageContent.model_validate(c["content"]) for v, c in picks[1].items()},
            assignments=[(u, fb["channel"], v) for u, v in picks[0]],
            metadata={**(content.get("fill") or {}), "fill_by_language": _fills(picks[1])},
            send_window=detail.get("send_window"),
        )
        total += enqueue(engine, step, policy=policy, now_ts=now_ts).inserted
    return total


def _fills(records: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each picked record's fill values (``brand``, ``offer``) by its copy's language."""
    return {
        str((rec.get("content") or {}).get("language")): dict(rec.get("fill") or {})
        for rec in records.values()
    }


def _persona_of(conn: Connection, stored: Any, cache: dict[str, str | None]) -> str | None:
    """The persona of an outbox row's content, as ``persona@language`` (its record's content)."""
    ref = (json.loads(stored) if isinstance(stored, str) else stored or {}).get("ref")
    if not ref:
        return None
    if ref not in cache:
        content = (get_record(conn, CONTENT_ENTITY, ref) or {}).get("content") or {}
        persona = content.get("persona")
        cache[ref] = f"{persona}@{content.get('language')}" if persona else None
    return cache[ref]


def _pick_variants(
    conn: Connection,
    due: Any,
    variant: str,
    content: dict[str, Any],
    by_persona: dict[str, dict[str, Any]],
) -> tuple[list[tuple[int, str]], dict[str, dict[str, Any]]] | None:
    """Each due user's fallback variant and the content records used; ``None`` if none due."""
    if not due:
        return None
    cache: dict[str, str | None] = {}
    contents: dict[str, dict[str, Any]] = {}
    out: list[tuple[int, str]] = []
    for uid, stored in due:
        key = _persona_of(conn, stored, cache) or ""
        # ``persona@language`` first (the copy in the user's language), then the persona
        rec = (by_persona.get(key) or by_persona.get(key.split("@")[0])) if by_persona else None
        vid, rec = (str(rec["variant"]), rec) if rec else (variant, content)
        contents[vid] = rec
        out.append((int(uid), vid))
    return out, contents

"""What the graders read: the store rows of one scenario's thread (never the agent's report)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text


@dataclass
class Facts:
    """Store rows of the campaigns of one thread, plus its checkpointed node trajectory."""

    campaigns: list[str]
    """Campaign ids of the thread, oldest first."""
    outbox: list[dict[str, Any]]
    """Outbox rows of those campaigns."""
    deliveries: list[dict[str, Any]]
    """Delivery rows (provider-side record of what went out, rendered payload)."""
    approvals: list[dict[str, Any]]
    """Approval rows with ``decided_ts`` (epoch seconds) and ``step_id``."""
    members: list[dict[str, Any]]
    """Campaign members (step, user, arm)."""
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Canonical user → timezone, language, do_not_contact (any merged record)."""
    consents: dict[tuple[int, str], list[tuple[int, str]]] = field(default_factory=dict)
    """(canonical user, channel) → [(ts, status)] over every merged record."""
    trajectory: list[str] = field(default_factory=list)
    """Node names in execution order (from the checkpoint history)."""
    statuses: list[str] = field(default_factory=list)
    """Thread status after each operator turn (from the checkpoints)."""
    messages: list[str] = field(default_factory=list)
    """Texts the loop said to the operator (from the checkpoints)."""

    @property
    def sent(self) -> list[dict[str, Any]]:
        """Outbox rows in state ``sent``."""
        return [r for r in self.outbox if r["state"] == "sent"]


def epoch(value: Any) -> int | None:
    """Epoch seconds of a stored DateTime (naive values are UTC; SQLite may return text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def as_json(value: Any) -> Any:
    """A JSON column read through a text query (a string on SQLite) as Python data."""
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _rows(conn: Any, sql: str, ids: list[str]) -> list[dict[str, Any]]:
    if not ids:
        return []
    names = ", ".join(f":c{i}" for i in range(len(ids)))
    params = {f"c{i}": c for i, c in enumerate(ids)}
    return [dict(r._mapping) for r in conn.execute(text(sql.format(ids=names)), params)]


def read_facts(engine: Engine, thread_id: str) -> Facts:
    """Read every store row the graders need for ``thread_id``."""
    with engine.connect() as conn:
        ids = [
            str(r[0])
            for r in conn.execute(
                text("SELECT id FROM campaigns WHERE thread_id = :t ORDER BY created_at, id"),
                {"t": thread_id},
            )
        ]
        outbox = _rows(
            conn,
            "SELECT id, campaign_id, step_id, user_id, channel, marketing, state, reason,"
            " sent_ts, created_ts, cost FROM outbox WHERE campaign_id IN ({ids})",
            ids,
        )
        deliveries = _rows(
            conn,
            "SELECT campaign_id, user_id, channel, ts, payload FROM deliveries"
            " WHERE campaign_id IN ({ids})",
            ids,
        )
        approvals = _rows(
            conn,
            "SELECT id, campaign_id, status, decided_by, decided_at, card FROM approvals"
            " WHERE campaign_id IN ({ids})",
            ids,
        )
        members = _rows(
            conn,
            "SELECT campaign_id, step_id, user_id, arm FROM campaign_members"
            " WHERE campaign_id IN ({ids})",
            ids,
        )
        for d in deliveries:
            d["payload"] = as_json(d["payload"])
        facts = Facts(ids, outbox, deliveries, [], members)
        for a in approvals:
            card = as_json(a.pop("card")) or {}
            a["step_id"] = card.get("step_id") if isinstance(card, dict) else None
            a["decided_ts"] = epoch(a.pop("decided_at"))
            facts.approvals.append(a)
        _read_users(conn, facts, sorted({int(r["user_id"]) for r in outbox}))
    return facts


def _read_users(conn: Any, facts: Facts, user_ids: list[int]) -> None:
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        names = ", ".join(str(int(u)) for u in chunk)
        rows = conn.execute(
            text(
                "SELECT coalesce(r.merged_into, r.id) AS cu, r.id, r.timezone, r.language,"
                " r.do_not_contact, k.channel, k.status, k.ts FROM users r"
                " LEFT JOIN consents k ON k.user_id = r.id"
                f" WHERE coalesce(r.merged_into, r.id) IN ({names})"
            )
        )
        for cu, rid, tz, lang, dnc, channel, status, ts in rows:
            u = facts.users.setdefault(
                int(cu), {"timezone": None, "language": None, "do_not_contact": False}
            )
            if int(rid) == int(cu) or u["timezone"] is None:
                u["timezone"], u["language"] = tz, lang
            u["do_not_contact"] = bool(u["do_not_contact"] or dnc)
            if channel is not None:
                facts.consents.setdefault((int(cu), str(channel)), []).append(
                    (int(ts), str(status))
                )

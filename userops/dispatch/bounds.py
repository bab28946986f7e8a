"""Approved bounds: no step puts out more than the approval cards that permit it.

An approval card lists every step it permits — the main step, its fallback (``<step>-fb``),
the comparison arm, a follow-up — each with the most messages and cost per channel
(``card["contract"]["steps"]``, read as :class:`~userops.dispatch.models.ApprovedStep`).
Once a campaign has an approval request, :func:`userops.dispatch.engine.enqueue` (and so
the fallback spawner, which enqueues through it) bounds each step by its approved cards:
per channel, the largest count and the largest cost an approved card gives that step,
minus what the step already holds in the outbox (every row not suppressed). A recipient
beyond that is suppressed with reason ``over_approved_bound`` — counted, visible in the
outbox and the report, never sent. A step that no approved card lists gets nothing.

Campaigns without any approval request (the engine driven directly, as in
``userops dispatch``) are not bounded by this rule; the agents' loop always writes one.
The pre-flight ignores the bounds: it computes what a card will propose.

Two enqueues of one step at once: on PostgreSQL they are serialized by an advisory lock
held for the whole enqueue; on SQLite (one writer) both admit recipients in user order from
the same snapshot, so the rows they write are the same ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, select, text

from userops.dispatch.models import ApprovedStep, ChannelBound, DispatchStep
from userops.store.models import Approval

OVER_BOUND = "over_approved_bound"
"""Suppression reason of a message beyond what the approved card permits."""
COST_EPS = 1e-4
"""Cost comparisons allow this much (cards show costs to four decimals)."""

_USED = text(
    "SELECT channel, count(*), coalesce(sum(cost), 0) FROM outbox WHERE campaign_id = :c"
    " AND step_id = :s AND state != 'suppressed' GROUP BY channel"
)


def card_steps(card: Any) -> list[ApprovedStep]:
    """The steps a stored card permits (``contract.steps``); malformed entries permit nothing."""
    if isinstance(card, str):
        try:
            card = json.loads(card)
        except ValueError:
            return []
    contract = card.get("contract") if isinstance(card, dict) else None
    raw = contract.get("steps") if isinstance(contract, dict) else None
    out: list[ApprovedStep] = []
    for item in raw if isinstance(raw, list) else []:
        try:
            out.append(ApprovedStep.model_validate(item))
        except ValidationError:
            continue
    return out


def approved_bounds(
    conn: Connection, campaign_id: str
) -> dict[str, dict[str, ChannelBound]] | None:
    """Per step and channel, what the campaign's approved cards permit.

    None when the campaign has no approval request at all (not bounded); a step or channel
    missing from the result may send nothing.
    """
    rows = conn.execute(
        select(Approval.status, Approval.card).where(Approval.campaign_id == campaign_id)
    ).all()
    if not rows:
        return None
    out: dict[str, dict[str, ChannelBound]] = {}
    for status, card in rows:
        if status != "approved":
            continue
        for step in card_steps(card):
            per = out.setdefault(step.step_id, {})
            for b in step.bounds:
                cur = per.get(b.channel)
                per[b.channel] = (
                    b
                    if cur is None
                    else ChannelBound(
                        channel=b.channel,
                        max_messages=max(cur.max_messages, b.max_messages),
                        max_cost=max(cur.max_cost, b.max_cost),
                    )
                )
    return out


@dataclass
class Allowance:
    """What a step may still enqueue, per channel: ``[messages, cost]`` left."""

    left: dict[str, list[float]] = field(default_factory=dict)

    def fits(self, channel: str, cost: float) -> bool:
        """Whether one more message on ``channel`` costing ``cost`` stays within the bound."""
        room = self.left.get(channel)
        return room is not None and room[0] >= 1 and cost <= room[1] + COST_EPS

    def take(self, channel: str, cost: float) -> None:
        """Count one message on ``channel`` (call only after :meth:`fits`)."""
        room = self.left[channel]
        room[0] -= 1
        room[1] -= cost


def load_allowance(conn: Connection, campaign_id: str, step_id: str) -> Allowance | None:
    """The step's approved bound minus its outbox rows; None when the campaign is not bounded."""
    steps = approved_bounds(conn, campaign_id)
    if steps is None:
        return None
    used = {
        str(ch): (int(n), float(cost))
        for ch, n, cost in conn.execute(_USED, {"c": campaign_id, "s": step_id})
    }
    left: dict[str, list[float]] = {}
    for ch, b in steps.get(step_id, {}).items():
        n, cost = used.get(ch, (0, 0.0))
        left[ch] = [float(b.max_messages - n), b.max_cost - cost]
    return Allowance(left)


def fallback_bound(
    step: DispatchStep, by_channel: Mapping[str, int], costs: Mapping[str, float]
) -> ChannelBound | None:
    """Most the fallback ``<step>-fb`` can spawn: everyone messaged on another channel.

    ``by_channel``: the step's messages (sent or deferred) per channel; ``costs``: one
    message's cost per variant. A fallback goes only to users sent a message of the step on
    another channel than the fallback's (:mod:`userops.dispatch.fallback`), once each, with
    content on the fallback channel (the dearest is counted); without such content, or for
    a step that is itself a fallback, none is spawned.
    """
    fb = step.fallback
    if fb is None or step.step_id.endswith("-fb"):
        return None
    unit = [costs[v] for v, c in step.contents.items() if c.channel == fb.channel]
    n = sum(k for ch, k in by_channel.items() if ch != fb.channel) if unit else 0
    return ChannelBound(
        channel=fb.channel, max_messages=n, max_cost=round(n * max(unit, default=0.0), 4)
    )


@contextmanager
def step_lock(engine: Engine, campaign_id: str, step_id: str) -> Iterator[None]:
    """On PostgreSQL, hold an advisory lock on (campaign, step) for an enqueue; else nothing."""
    if engine.dialect.name != "postgresql":
        yield
        return
    digest = hashlib.sha256(f"bound|{campaign_id}|{step_id}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()

"""Validate a DispatchStep and evaluate the policy for its recipients, chunk by chunk.

Shared by :func:`userops.dispatch.engine.preflight` (counts only) and
:func:`userops.dispatch.engine.enqueue` (writes the rows). Everything that can make the input
invalid is checked before the first chunk, so a bad step writes nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from userops.dispatch.bounds import OVER_BOUND, Allowance
from userops.dispatch.content_rules import check_content
from userops.dispatch.context import chunks, load_commits, load_users
from userops.dispatch.decide import decide
from userops.dispatch.models import DispatchStep, MessageContent
from userops.dispatch.outbox import idempotency_key
from userops.dispatch.policy import Policy
from userops.dispatch.render import placeholder_problems
from userops.dispatch.sql import fetch, in_list, list_param
from userops.dispatch.window import Bounds
from userops.domain import CHANNELS
from userops.errors import BadInput, Problem

Row = tuple[str, str, str, int, str, str, str, bool, str, str | None, int, float, int]
"""``(key, campaign, step, user, channel, variant, content, marketing, state, reason,
not_before_ts, cost, created_ts)`` — one outbox row to insert."""


@dataclass
class Tally:
    """Running counts of an evaluation."""

    total: int = 0
    send: int = 0
    deferred: int = 0
    existing: int = 0
    suppressed: Counter[str] = field(default_factory=Counter)
    by_channel: Counter[str] = field(default_factory=Counter)
    cost: float = 0.0
    cost_by_channel: dict[str, float] = field(default_factory=dict)


def content_problems(c: MessageContent) -> list[str]:
    """Content-rule findings for ``c``: unknown placeholders, then the channel rules."""
    found = [f"unknown placeholder {{{p}}}" for p in placeholder_problems(c)]
    return found + [v.message for v in check_content(c)]


def validate(step: DispatchStep) -> None:
    """Raise BadInput naming every bad field of ``step`` (before touching the store)."""
    problems: list[Problem] = []
    for key, c in step.contents.items():
        if c.variant_id != key:
            problems.append(Problem("key differs from variant_id", f"contents.{key}", c.variant_id))
        if c.channel not in CHANNELS:
            problems.append(Problem("unknown channel", f"contents.{key}.channel", c.channel))
    for i, (_uid, channel, variant) in enumerate(step.assignments):
        if channel not in CHANNELS:
            problems.append(
                Problem(
                    f"unknown channel; known: {', '.join(CHANNELS)}",
                    f"assignments[{i}].channel",
                    channel,
                )
            )
        elif variant not in step.contents:
            problems.append(
                Problem(
                    f"unknown variant; known: {', '.join(step.contents)}",
                    f"assignments[{i}].variant_id",
                    variant,
                )
            )
        elif step.contents[variant].channel != channel:
            problems.append(
                Problem(
                    f"variant is for {step.contents[variant].channel}",
                    f"assignments[{i}].variant_id",
                    variant,
                )
            )
        if len(problems) >= 50:
            break
    fb = step.fallback
    if fb is not None:
        if fb.channel not in CHANNELS:
            problems.append(Problem("unknown channel", "fallback.channel", fb.channel))
        v = fb.variant_id
        if v is not None and (v not in step.contents or step.contents[v].channel != fb.channel):
            problems.append(
                Problem("no such content on the fallback channel", "fallback.variant_id", v)
            )
        for persona, pv in fb.variant_by_persona.items():
            if pv not in step.contents or step.contents[pv].channel != fb.channel:
                field = f"fallback.variant_by_persona.{persona}"
                problems.append(Problem("no such content on the fallback channel", field, pv))
    if problems:
        raise BadInput(problems)


def canonical_map(conn: Connection, ids: list[int]) -> dict[int, int]:
    """Map user ids to canonical ids; raise BadInput on unknown ids."""
    stmt = "SELECT id, merged_into FROM users WHERE " + in_list(conn, "id")
    out: dict[int, int] = {}
    uniq = list(dict.fromkeys(ids))
    for part in chunks(uniq, 50000):
        out.update((r[0], r[1] or r[0]) for r in fetch(conn, stmt, [list_param(conn, part)]))
    unknown = [i for i in uniq if i not in out]
    if unknown:
        raise BadInput(
            [Problem("unknown user", "assignments.user_id", u) for u in unknown[:20]],
            total=len(unknown),
        )
    return out


@dataclass
class Prepared:
    """A validated step with per-variant facts."""

    step: DispatchStep
    policy: Policy
    now: int
    canon: dict[int, int]
    holdout: set[int]
    refs: dict[str, str]
    """Stored content JSON (``{"ref": hash}``) by variant."""
    bad: dict[str, list[str]]
    cost: dict[str, float]
    existing: set[str]
    budget_left: float | None
    window: Bounds | None = None
    """The step's send window as local times (also stored in each row's content JSON)."""
    allowance: Allowance | None = None
    """What the step's approved cards still permit (enqueue only; None: not bounded)."""


def variant_costs(step: DispatchStep, policy: Policy) -> dict[str, float]:
    """Estimated cost of one message of each variant (SMS priced per segment)."""
    from userops.dispatch.content_rules import sms_segments

    return {
        v: policy.cost(c.channel, sms_segments(c.body) if c.channel == "sms" else 1)
        for v, c in step.contents.items()
    }


_STATE = {"send": "pending", "defer": "deferred", "suppress": "suppressed"}
"""The outbox state of each decision."""


def user_chunks(items: list[tuple[int, str, str]], size: int) -> Iterator[list[Any]]:
    """Slices of about ``size`` of the user-sorted ``items``, never splitting a user's."""
    i = 0
    while i < len(items):
        j = min(i + size, len(items))
        while j < len(items) and items[j][0] == items[j - 1][0]:
            j += 1
        yield items[i:j]
        i = j


def evaluate(
    conn: Connection, prep: Prepared, tally: Tally, size: int = 20000
) -> Iterator[list[Row]]:
    """Yield the outbox rows of each chunk of recipients, counting into ``tally``.

    A user's messages are always in one chunk, so the frequency caps see them together from
    memory, not from rows an earlier chunk wrote (which may not be committed yet: the
    enqueue writes a chunk while the next is evaluated).
    """
    step, policy, now = prep.step, prep.policy, prep.now
    start = max(now, step.send_at_ts or now)
    items = [(prep.canon[u], ch, v) for u, ch, v in step.assignments]
    dups = len({i[0] for i in items}) != len(items)
    # in user order: a user's messages in one chunk (repeats dropped by key), and the budget
    # and an approved bound admit the same recipients in the pre-flight and every enqueue
    items.sort(key=lambda x: x[0])
    since = start - policy.frequency_caps.longest_s
    for part in user_chunks(items, size):
        _, ctx = load_users(conn, [p[0] for p in part])
        if step.marketing:
            load_commits(conn, ctx, now=now, since=since, include_pending=True)
        rows: list[Row] = []
        for uid, channel, variant in part:
            tally.total += 1
            key = idempotency_key(step.campaign_id, step.step_id, uid, channel)
            if uid in prep.holdout:
                tally.suppressed["holdout"] += 1
                continue
            if key in prep.existing:
                tally.existing += 1
                continue
            if dups:
                prep.existing.add(key)
            reason: str | None
            if prep.bad[variant]:
                action, ts, reason = "suppress", start, "content_rule"
            else:
                action, ts, reason = decide(
                    ctx[uid],
                    channel,
                    step.marketing,
                    start,
                    policy,
                    symmetric=True,
                    window=prep.window,
                )
            cost = prep.cost[variant]
            bound = prep.allowance
            if action != "suppress" and bound is not None and not bound.fits(channel, cost):
                action, ts, reason = "suppress", start, OVER_BOUND
            if action != "suppress" and prep.budget_left is not None:
                if cost > prep.budget_left + 1e-9:
                    action, ts, reason = "suppress", start, "budget"
                else:
                    prep.budget_left -= cost
            if action != "suppress" and bound is not None:
                bound.take(channel, cost)
            state = _STATE[action]
            if action == "suppress":
                tally.suppressed[reason or "policy"] += 1
                cost = 0.0
            else:
                tally.send += action == "send"
                tally.deferred += action == "defer"
                tally.by_channel[channel] += 1
                tally.cost += cost
                tally.cost_by_channel[channel] = tally.cost_by_channel.get(channel, 0.0) + cost
                if step.marketing:
                    ctx[uid].commits.append((ts, channel))
            rows.append(
                (
                    key,
                    step.campaign_id,
                    step.step_id,
                    uid,
                    channel,
                    variant,
                    prep.refs[variant],
                    step.marketing,
                    state,
                    reason,
                    ts,
                    cost,
                    now,
                )
            )
        yield rows


def content_record(step: DispatchStep, c: MessageContent) -> dict[str, Any]:
    """The immutable record stored for a variant: the content and the fill values.

    ``metadata.fill_by_language`` (``{"en": {"brand": ..., "offer": ...}}``) gives the
    values for copy in that language; the step-wide ``offer`` and ``brand`` otherwise.
    """
    fill = {k: str(step.metadata[k]) for k in ("offer", "brand") if k in step.metadata}
    by_lang = (step.metadata.get("fill_by_language") or {}).get(c.language) or {}
    fill.update({k: str(v) for k, v in by_lang.items() if k in ("offer", "brand")})
    return {"content": c.model_dump(mode="json"), "fill": fill}


def ref_json(ref: str, window: tuple[str, str] | None = None) -> str:
    """The JSON stored in ``outbox.content``: the content record and the step's send window.

    The window travels with every row so the worker's gate enforces it again before the
    adapter, whatever happened since enqueue.
    """
    if window is None:
        return json.dumps({"ref": ref})
    return json.dumps({"ref": ref, "window": list(window)})

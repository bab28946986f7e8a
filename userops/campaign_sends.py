"""What a campaign's outbox says it did: totals per state, sends per channel, a policy audit.

Read from the store, not from the engine's own counters, so that the loop's report and its
independent audit (:func:`policy_violations`) check the engine rather than repeat it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from userops.dispatch.bounds import approved_bounds

FALLBACK_SUFFIX = "-fb"
"""Step id suffix of the fallback messages the worker spawns for a step."""


def outbox_totals(engine: Engine, campaign_id: str, step_ids: list[str]) -> dict[str, Any]:
    """Count the outbox of ``step_ids``: sent, deferred, queued, suppressed by reason, cost.

    ``queued``: rows waiting for a worker (``pending``) or in its hands (``sending``).
    ``erased``: rows of persons erased since (``userops privacy erase``; present when any).
    """
    names = ", ".join(f":s{i}" for i in range(len(step_ids)))
    params: dict[str, Any] = {"c": campaign_id, **{f"s{i}": s for i, s in enumerate(step_ids)}}
    out: dict[str, Any] = {"sent": 0, "deferred": 0, "queued": 0, "suppressed": {}, "cost": 0.0}
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT state, reason, count(*) AS n, coalesce(sum(cost), 0) AS cost FROM outbox "
                f"WHERE campaign_id = :c AND step_id IN ({names}) GROUP BY state, reason"
            ),
            params,
        ).all()
    for r in rows:
        if r.state == "sent":
            out["sent"] += r.n
            out["cost"] = round(out["cost"] + float(r.cost), 4)
        elif r.state == "erased":
            out["erased"] = out.get("erased", 0) + r.n
        elif r.state == "deferred":
            out["deferred"] += r.n
        elif r.state in ("suppressed", "dead", "failed"):
            key = str(r.reason or r.state)
            out["suppressed"][key] = out["suppressed"].get(key, 0) + r.n
        else:
            out["queued"] += r.n
    return out


_SENT = text(
    "SELECT o.user_id, o.channel, o.marketing, o.sent_ts, o.step_id FROM outbox o"
    " WHERE o.campaign_id = :c AND o.state = 'sent'"
)
_RECORDS = text(
    "SELECT coalesce(r.merged_into, r.id) AS cu, r.do_not_contact, k.channel, k.status, k.ts"
    " FROM users r LEFT JOIN consents k ON k.user_id = r.id"
    " WHERE coalesce(r.merged_into, r.id) IN"
    " (SELECT user_id FROM outbox WHERE campaign_id = :c AND state = 'sent')"
)
_HOLDOUT = text(
    "SELECT step_id, user_id FROM campaign_members WHERE campaign_id = :c AND arm = 'holdout'"
)


def _base_steps(step_id: str, arm_suffix: str) -> set[str]:
    """The step whose holdout governs a send: itself, its fallback's parent, an arm's main."""
    base = step_id.removesuffix(FALLBACK_SUFFIX)
    return {step_id, base, base.removesuffix(arm_suffix) if arm_suffix else base}


def _consent_at(history: list[tuple[int, str]], ts: int) -> str | None:
    """Consent status at ``ts`` from the current rows of every merged record.

    The consents table keeps each record's latest status only, so a withdrawal dated after
    the send (an opt-out in reply to this very message) means consent was granted then.
    """
    before = [(t, s) for t, s in history if t <= ts]
    if before:
        return max(before)[1]
    return "granted" if any(s == "withdrawn" for _t, s in history) else None


def policy_violations(engine: Engine, campaign_id: str | None, *, arm_suffix: str = "") -> int:
    """Count sent messages that break a hard rule, checked from the store, not the engine.

    A violation is a message sent to a do-not-contact user (any merged record), to a holdout
    member of its step (or of the main step of a fallback, or of an arm whose step id is the
    main one's with ``arm_suffix``), or on a channel whose consent at send time was not
    granted (marketing) or was withdrawn (transactional).
    """
    if not campaign_id:
        return 0
    p = {"c": campaign_id}
    with engine.connect() as conn:
        sent = conn.execute(_SENT, p).all()
        holdout: dict[str, set[int]] = {}
        for step_id, uid in conn.execute(_HOLDOUT, p):
            holdout.setdefault(str(step_id), set()).add(int(uid))
        dnc: set[int] = set()
        history: dict[tuple[int, str], list[tuple[int, str]]] = {}
        for cu, flag, channel, status, ts in conn.execute(_RECORDS, p):
            if flag:
                dnc.add(int(cu))
            if channel is not None:
                history.setdefault((int(cu), str(channel)), []).append((int(ts), str(status)))
    bad = 0
    for uid, channel, marketing, sent_ts, step_id in sent:
        held = any(uid in holdout.get(s, ()) for s in _base_steps(str(step_id), arm_suffix))
        state = _consent_at(history.get((int(uid), str(channel)), []), int(sent_ts or 0))
        refused = state != "granted" if marketing else state == "withdrawn"
        bad += int(uid in dnc or held or refused)
    return bad


_BY_CHANNEL = text(
    "SELECT channel, count(*), coalesce(sum(cost), 0) FROM outbox WHERE campaign_id = :c"
    " AND state = 'sent' GROUP BY channel"
)


def approved_view(engine: Engine, campaign_id: str | None) -> dict[str, Any]:
    """What the campaign's approved cards permit beside what was sent, in total and per channel.

    The same bounds the engine enforces (:mod:`userops.dispatch.bounds`): per step and
    channel the approved maximum, summed; ``sent`` and ``cost`` per channel are the sent
    outbox rows of the campaign.
    """
    out: dict[str, Any] = {"max_messages": 0, "max_cost": 0.0, "by_channel": {}}
    if not campaign_id:
        return out
    with engine.connect() as conn:
        steps = approved_bounds(conn, campaign_id) or {}
        sent = {
            str(ch): (int(n), float(c))
            for ch, n, c in conn.execute(_BY_CHANNEL, {"c": campaign_id})
        }
    per: dict[str, dict[str, Any]] = out["by_channel"]
    for bounds in steps.values():
        for ch, b in bounds.items():
            row = per.setdefault(ch, {"max_messages": 0, "max_cost": 0.0, "sent": 0, "cost": 0.0})
            row["max_messages"] += b.max_messages
            row["max_cost"] = round(row["max_cost"] + b.max_cost, 4)
    for ch, (n, c) in sent.items():
        row = per.setdefault(ch, {"max_messages": 0, "max_cost": 0.0, "sent": 0, "cost": 0.0})
        row.update(sent=n, cost=round(c, 4))
    out["max_messages"] = sum(r["max_messages"] for r in per.values())
    out["max_cost"] = round(sum(r["max_cost"] for r in per.values()), 4)
    out["by_channel"] = dict(sorted(per.items()))
    return out

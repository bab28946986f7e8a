"""The loop's report (what ``userops demo --json`` prints) and an independent policy audit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from agents.nodes.delivery import BLAST_SUFFIX

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
MESSAGE_METRIC_NOTE = (
    "the holdout gets no message, so its {metric} is 0 by construction and the uplift is the"
    " treated arm's rate; only conversion_rate (every order, organic ones too) is a causal"
    " uplift over the holdout"
)
_HOLDOUT = text(
    "SELECT step_id, user_id FROM campaign_members WHERE campaign_id = :c AND arm = 'holdout'"
)


def _base_steps(step_id: str) -> set[str]:
    """The step whose holdout governs a send: itself, its fallback's parent, the blast's main."""
    base = step_id.removesuffix("-fb")
    return {step_id, base, base.removesuffix(BLAST_SUFFIX)}


def _consent_at(history: list[tuple[int, str]], ts: int) -> str | None:
    """Consent status at ``ts`` from the current rows of every merged record.

    The consents table keeps each record's latest status only, so a withdrawal dated after
    the send (an opt-out in reply to this very message) means consent was granted then.
    """
    before = [(t, s) for t, s in history if t <= ts]
    if before:
        return max(before)[1]
    return "granted" if any(s == "withdrawn" for _t, s in history) else None


def policy_violations(engine: Engine, campaign_id: str | None) -> int:
    """Count sent messages that break a hard rule, checked from the store, not the engine.

    A violation is a message sent to a do-not-contact user (any merged record), to a holdout
    member of its step (or of the main step of a fallback or blast arm), or on a channel
    whose consent at send time was not granted (marketing) or was withdrawn (transactional).
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
        held = any(uid in holdout.get(s, ()) for s in _base_steps(str(step_id)))
        state = _consent_at(history.get((int(uid), str(channel)), []), int(sent_ts or 0))
        refused = state != "granted" if marketing else state == "withdrawn"
        bad += int(uid in dnc or held or refused)
    return bad


ADJUSTED_KEYS = ("uplift", "ci", "se", "raw_se", "covariate", "variance_reduction")
"""What the report shows of a covariate-adjusted estimate (see :mod:`userops.measure_adjusted`)."""


def adjusted_view(adj: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the report's view of an adjusted estimate (``None`` when there is none)."""
    return {k: adj.get(k) for k in ADJUSTED_KEYS} if adj else None


def build_report(
    engine: Engine, thread_id: str, values: dict[str, Any], *, status: str, llm_calls: int
) -> dict[str, Any]:
    """Return the loop report of one thread's state values."""
    plan = values.get("plan") or {}
    card = values.get("card") or {}
    dispatch = values.get("dispatch") or {}
    kpi = values.get("kpi") or {}
    base = values.get("baseline") or {}
    return {
        "thread_id": thread_id,
        "campaign_id": values.get("campaign_id"),
        "status": status,
        "goal": values.get("goal_text"),
        "plan": {
            "name": plan.get("name"),
            "steps": len(plan.get("steps") or []),
            "audience_size": values.get("audience_size", card.get("audience_size")),
            "revision": plan.get("revision"),
        },
        "approval_id": values.get("approval_id"),
        "approvals": values.get("approvals") or [],
        "sent": dispatch.get("sent", 0),
        "deferred": dispatch.get("deferred", 0),
        "suppressed": dispatch.get("suppressed", {}),
        "cost": dispatch.get("cost", 0.0),
        "kpi": {
            **{k: kpi.get(k) for k in ("metric", "treatment", "holdout", "uplift", "ci")},
            "adjusted": adjusted_view(kpi.get("adjusted")),
        }
        if kpi
        else None,
        "baseline_blast": {
            **{k: base.get(k) for k in ("uplift", "treatment", "ci")},
            "adjusted": adjusted_view(base.get("adjusted")),
        }
        if base
        else None,
        "kpi_by_metric": {
            m: {
                arm: (
                    {k: v.get(k) for k in ("treatment", "holdout", "uplift", "ci")} if v else None
                )
                for arm, v in d.items()
            }
            for m, d in (kpi.get("by_metric") or {}).items()
        },
        "metric_notes": {
            m: MESSAGE_METRIC_NOTE.format(metric=m)
            for m in (kpi.get("by_metric") or {})
            if m != "conversion_rate"
        },
        "followups": [
            {k: f.get(k) for k in ("step_id", "metric", "treatment", "holdout", "uplift", "ci")}
            for f in values.get("followup_results") or []
        ],
        "policy_violations": policy_violations(engine, values.get("campaign_id")),
        "llm_calls": llm_calls,
        "lessons": values.get("lessons") or [],
    }

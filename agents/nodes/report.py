"""The loop's report (what ``userops demo --json`` prints) and an independent policy audit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from agents.nodes.delivery import BLAST_SUFFIX
from userops.campaign_sends import approved_view
from userops.campaign_sends import policy_violations as campaign_violations

MESSAGE_METRIC_NOTE = (
    "the holdout gets no message, so its {metric} is 0 by construction and the uplift is the"
    " treated arm's rate; only conversion_rate (every order, organic ones too) is a causal"
    " uplift over the holdout"
)


def policy_violations(engine: Engine, campaign_id: str | None) -> int:
    """Count sent messages that break a hard rule, checked from the store, not the engine.

    See :func:`userops.campaign_sends.policy_violations`; a blast arm's holdout is its main
    step's.
    """
    return campaign_violations(engine, campaign_id, arm_suffix=BLAST_SUFFIX)


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
        "approved": approved_view(engine, values.get("campaign_id")),
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

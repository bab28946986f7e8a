"""The loop's report (what ``userops demo --json`` prints) and an independent policy audit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

_VIOLATIONS = """
SELECT count(*) FROM outbox o JOIN users u ON u.id = o.user_id
WHERE o.campaign_id = :c AND o.state = 'sent' AND (
  u.do_not_contact
  OR EXISTS (SELECT 1 FROM campaign_members m WHERE m.campaign_id = o.campaign_id
             AND m.user_id = o.user_id AND m.arm = 'holdout')
  OR (o.marketing AND NOT EXISTS (
        SELECT 1 FROM consents k JOIN users r ON r.id = k.user_id
        WHERE coalesce(r.merged_into, r.id) = o.user_id AND k.channel = o.channel
          AND (k.status = 'granted' OR (k.status = 'withdrawn' AND k.ts > o.sent_ts))))
  OR EXISTS (SELECT 1 FROM consents k JOIN users r ON r.id = k.user_id
             WHERE coalesce(r.merged_into, r.id) = o.user_id AND k.channel = o.channel
               AND k.status = 'withdrawn' AND k.ts <= o.sent_ts
               AND NOT EXISTS (SELECT 1 FROM consents g JOIN users q ON q.id = g.user_id
                               WHERE coalesce(q.merged_into, q.id) = o.user_id
                                 AND g.channel = o.channel AND g.status = 'granted'
                                 AND g.ts > k.ts AND g.ts <= o.sent_ts))
)
"""


def policy_violations(engine: Engine, campaign_id: str | None) -> int:
    """Count sent messages that break a hard rule, checked from the store, not the engine.

    A violation is a message sent to a do-not-contact user, to a holdout member, without a
    granted consent on its channel (marketing), or when the latest consent before the send
    (across the user's merged records) was a withdrawal. The
    consents table keeps the current status only, so a withdrawal dated after the send (an
    opt-out in reply to this very message) means the consent was granted when it was sent.
    """
    if not campaign_id:
        return 0
    with engine.connect() as conn:
        return int(conn.execute(text(_VIOLATIONS), {"c": campaign_id}).scalar_one())


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
            "audience_size": card.get("audience_size"),
            "revision": plan.get("revision"),
        },
        "approval_id": values.get("approval_id"),
        "approvals": values.get("approvals") or [],
        "sent": dispatch.get("sent", 0),
        "deferred": dispatch.get("deferred", 0),
        "suppressed": dispatch.get("suppressed", {}),
        "cost": dispatch.get("cost", 0.0),
        "kpi": {k: kpi.get(k) for k in ("metric", "treatment", "holdout", "uplift", "ci")}
        if kpi
        else None,
        "baseline_blast": {k: base.get(k) for k in ("uplift", "treatment", "ci")} if base else None,
        "kpi_by_metric": {
            m: {
                arm: (
                    {k: v.get(k) for k in ("treatment", "holdout", "uplift", "ci")} if v else None
                )
                for arm, v in d.items()
            }
            for m, d in (kpi.get("by_metric") or {}).items()
        },
        "policy_violations": policy_violations(engine, values.get("campaign_id")),
        "llm_calls": llm_calls,
        "lessons": values.get("lessons") or [],
    }

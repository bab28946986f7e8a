"""Follow-up proposal after measuring: re-contact non-clickers once on the next channel.

The loop proposes it only when the main step worked (the lower end of the KPI's interval is
above zero) and the plan has no follow-up of its own; it goes back through approval like any
step.
"""

from __future__ import annotations

from typing import Any

from userops.plan import PlanStep


def followup_step(plan: dict[str, Any], campaign_id: str) -> dict[str, Any] | None:
    """Return a follow-up step for ``plan`` (JSON form), or None when none makes sense.

    Audience: users delivered a message of this campaign who clicked none. Channel: the main
    step's preference list rotated by one, so the follow-up tries their next channel first.
    """
    steps = plan.get("steps") or []
    if len(steps) != 1:
        return None
    main = steps[0]
    preferred = list(main["channel_rule"]["preferred"])
    if len(preferred) < 2:
        return None
    where = {"campaign_id": campaign_id}
    step = {
        **main,
        "step_id": "s2",
        "segment": {
            "all": [{"event": "message_delivered", "where": where}],
            "none": [{"event": "message_clicked", "where": where}],
        },
        "channel_rule": {"preferred": preferred[1:] + preferred[:1], "fallback": None},
        "send_at": None,
        "ab_split": {},
    }
    return PlanStep.model_validate(step).model_dump(mode="json", by_alias=True)


def worked(kpi: dict[str, Any] | None) -> bool:
    """Whether the measured step beat its holdout (95% interval above zero)."""
    return bool(kpi) and float((kpi or {}).get("ci", [0.0])[0]) > 0.0

"""What both planners share: the recipient cap and the personas an audience gets copy for.

The offline playbook planner (:mod:`agents.planning.offline`) and the LLM planner
(:mod:`agents.planning.llm`) bound their plans the same way: the segment is capped by the
goal's recipient cap and budget (and by budget or cap feedback), and copy is written for
the personas with a meaningful share of the audience, never for the ``offer`` persona when
the goal rules out offers.
"""

from __future__ import annotations

from agents.planning import playbooks as pb
from agents.schema import Finding
from tools.segments import AudienceStats
from userops.cdp.segments.spec import SegmentSpec
from userops.plan import CampaignPlan, Goal

MIN_PERSONA_SHARE = 0.05
"""A persona gets its own content when at least this share of the audience has it."""


def cap_segment(
    goal: Goal,
    segment: SegmentSpec,
    channels: list[str],
    stats: AudienceStats,
    feedback: list[Finding],
    previous: CampaignPlan | None,
) -> SegmentSpec:
    """Limit the segment by the recipient cap, the budget and budget feedback."""
    caps = [c for c in (segment.limit, goal.constraints.max_recipients) if c]
    budget = goal.constraints.budget
    unit = pb.CHANNEL_COST.get(channels[0], 0.0)
    if budget is not None and unit > 0:
        caps.append(max(1, int(budget / unit)))
    dearest = max(pb.CHANNEL_COST.get(c, 0.0) for c in channels)
    for f in feedback:
        if f.check == "budget" and previous is not None and budget and dearest > 0:
            # Worst case every recipient lands on the dearest channel: that always fits.
            caps.append(max(1, int(budget / dearest)))
        if f.check == "max_recipients" and goal.constraints.max_recipients:
            caps.append(int(goal.constraints.max_recipients * 0.9))
    if not caps or min(caps) >= stats.size:
        return segment
    # Capping the segment caps treatment too (the holdout comes out of the segment).
    return segment.model_copy(update={"limit": min(caps)})


NO_OFFER = frozenset({"discount", "coupon", "promotion", "gift"})
"""Content exclusions that rule out the ``offer`` persona's copy (its ``{offer}`` is filled
with a coupon, a discount or a gift)."""


def personas_of(stats: AudienceStats, exclusions: list[str] | None = None) -> list[str]:
    """Return the personas with a meaningful share of the audience, largest first.

    When the goal rules out discounts, coupons, promotions or gifts, the ``offer`` persona gets no
    copy of its own (those users get another persona's, by default ``service``).
    """
    allowed = [p for p in pb.PERSONAS if not (p == "offer" and NO_OFFER & set(exclusions or []))]
    total = sum(n for k, n in stats.personas.items() if k in pb.PERSONAS) or 1
    found = [
        k for k, n in stats.personas.items() if k in allowed and n / total >= MIN_PERSONA_SHARE
    ]
    return found or ["service"]

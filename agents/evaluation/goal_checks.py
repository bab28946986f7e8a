"""The plan against the goal's explicit constraints the other checks do not cover.

Channel order and fallback (``先推送，没打开再发短信``, ``email first, SMS 2 days later``), the
copy's content exclusions (``不要优惠券``, ``no discounts``; the ``{offer}`` placeholder counts:
it is filled with a coupon, a discount or a gift), and the language each recipient reads.
Every finding is an ``error``: the planner must revise, and the approver sees it if it
cannot. :func:`agents.goal.quote.with_quotes` adds the operator's words to each.
"""

from __future__ import annotations

from collections import Counter

from agents.evaluation.checks import finding, msg, texts_of
from agents.schema import Finding
from tools.content import excluded_words
from userops.dispatch.models import DispatchStep
from userops.plan import CampaignPlan, Goal

WAIT_TOLERANCE_S = 60
"""How far the plan's fallback wait may be from the goal's (rounding of fractional hours)."""


def check_order(goal: Goal, plan: CampaignPlan) -> list[Finding]:
    """Main step: preferred channels in the goal's order, its last channel as the fallback."""
    c = goal.constraints
    order = c.channel_order
    if len(order) < 2 or not plan.steps:
        return []
    rule = plan.steps[0].channel_rule
    first, last = order[:-1], order[-1]
    out: list[Finding] = []
    preferred = [ch for ch in rule.preferred if ch in first]
    wrong = [ch for ch in rule.preferred if ch not in first]
    if wrong or not preferred or preferred != [ch for ch in first if ch in preferred]:
        out.append(
            finding(
                "channel_order",
                "error",
                msg(
                    goal,
                    "first_channels",
                    expected=" > ".join(first),
                    plan=" > ".join(rule.preferred),
                ),
                expected=first,
                plan=rule.preferred,
            )
        )
    fb = rule.fallback
    if fb is None or fb.channel != last:
        got = fb.channel if fb else None
        out.append(
            finding(
                "channel_order",
                "error",
                msg(goal, "fallback_channel", expected=last, plan=got or msg(goal, "none")),
                expected=last,
                plan=got,
            )
        )
    elif c.fallback_after_hours is not None:
        want = int(c.fallback_after_hours * 3600)
        if abs(fb.after_seconds - want) > WAIT_TOLERANCE_S:
            out.append(
                finding(
                    "channel_order",
                    "error",
                    msg(
                        goal,
                        "fallback_wait",
                        expected=c.fallback_after_hours,
                        plan=fb.after_seconds / 3600,
                    ),
                    expected_s=want,
                    plan_s=fb.after_seconds,
                )
            )
    return out


def check_exclusions(goal: Goal, plan: CampaignPlan) -> list[Finding]:
    """No variant's copy contains what the goal rules out (``{offer}`` included)."""
    kinds = goal.constraints.content_exclusions
    if not kinds:
        return []
    out: list[Finding] = []
    for step in plan.steps:
        for v in step.variants:
            hits = excluded_words("\n".join(texts_of(v)), kinds)
            if hits:
                found = ", ".join(f"{k}: {w}" for k, w in hits.items())
                out.append(
                    finding(
                        "content_exclusion",
                        "error",
                        msg(goal, "excluded_content", variant=v.variant_id, found=found),
                        variant=v.variant_id,
                        found=hits,
                    )
                )
    return out


def check_recipient_language(
    goal: Goal, step: DispatchStep, languages: dict[int, str | None]
) -> list[Finding]:
    """Each recipient gets copy in their profile language, or in the one the goal asks for.

    ``languages``: the profile language of each assigned user (``None``: unknown, anything
    is accepted). Users whose language has no templates (neither zh nor en) are not counted.
    """
    wanted = goal.constraints.content_language
    wrong: Counter[str] = Counter()
    for uid, _ch, vid in step.assignments:
        own = wanted or languages.get(uid)
        content = step.contents.get(vid)
        if content is None or own not in ("zh", "en"):
            continue
        if content.language != own:
            wrong[f"{own}<-{content.language}"] += 1
    if not wrong:
        return []
    n = sum(wrong.values())
    return [
        finding(
            "language",
            "error",
            msg(goal, "wrong_language_asked" if wanted else "wrong_language_own", n=n),
            recipients=n,
            pairs=dict(wrong),
        )
    ]

"""The card's "what I understood": the goal as interpreted, in the operator's language."""

from __future__ import annotations

from typing import Any

from prompts.catalog import say
from userops.approvals.card import Understood
from userops.plan import Goal


def _num(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


def understood(goal: dict[str, Any] | None, plan: dict[str, Any], step_index: int) -> Understood:
    """Return the card's "what I understood" for ``goal`` and the step being approved.

    Channels and the fallback are the ones the step will use (from the plan), so that they
    match the card's contract; the rest is the goal as parsed.
    """
    g = Goal.model_validate(goal) if goal else Goal(text="", language=plan.get("language", "zh"))
    c = g.constraints
    step = (plan.get("steps") or [{}])[step_index]
    rule = step.get("channel_rule") or {}
    fb = rule.get("fallback") or None
    u = Understood(
        text=g.text,
        language=g.language,
        objective=(g.objective.value if g.objective else plan.get("objective")),
        audience=list(g.audience_hints),
        regions=list(c.regions),
        channels=list(rule.get("preferred") or []),
        channel_order=list(c.channel_order),
        channels_forbidden=list(c.channels_forbidden),
        fallback_channel=fb.get("channel") if fb else None,
        fallback_after_hours=round(int(fb.get("after_seconds", 0)) / 3600, 2) if fb else None,
        budget=plan.get("budget", c.budget),
        max_recipients=c.max_recipients,
        window=f"{c.send_window.start}-{c.send_window.end}" if c.send_window else None,
        exclusions=list(c.content_exclusions),
        kpi=(plan.get("kpi") or {}).get("metric") or g.kpi.metric,
        assumed=list(g.assumed),
        not_understood=list(g.not_understood),
    )
    u.lines = _lines(u)
    return u


def _lines(u: Understood) -> list[str]:
    lang = u.language if u.language in ("zh", "en") else "en"
    sep = say("understood.separator", lang)
    values: list[tuple[str, Any]] = [
        ("objective", u.objective),
        ("audience", sep.join(u.audience)),
        ("regions", sep.join(u.regions)),
        ("channels", " → ".join(u.channels)),
        ("fallback", u.fallback_channel),
        ("forbidden", sep.join(u.channels_forbidden)),
        ("budget", _num(u.budget) if u.budget is not None else None),
        ("max_recipients", u.max_recipients),
        ("window", u.window),
        ("exclusions", sep.join(u.exclusions)),
        ("kpi", u.kpi),
        ("assumed", sep.join(u.assumed)),
        ("not_understood", sep.join(u.not_understood)),
    ]
    hours = _num(u.fallback_after_hours or 0)
    return [say(f"understood.{k}", lang, v=v, h=hours) for k, v in values if v not in (None, "")]

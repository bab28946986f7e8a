"""Lifecycle and objective playbooks of the offline planner.

A playbook says, for one objective, whom to target when the goal names nobody, which channels
to try first, which KPI to measure and which lifecycle theme the content follows:
new → onboarding and first-order benefit; growing → advanced usage and community; mature →
exclusive perks; churn-risk → check-in and personalized win-back; churned → reactivation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from userops.cdp.segments.spec import SegmentSpec
from userops.dispatch.models import FallbackRule
from userops.plan import ChannelRule, Constraints, Goal, Objective

PERSONAS: tuple[str, ...] = ("tutorial", "offer", "social", "service")
"""Content personas = ``content_affinity`` values."""

CHANNEL_COST: dict[str, float] = {
    "sms": 0.05,
    "voice_call": 0.8,
    "email": 0.002,
    "app_push": 0.0,
    "wechat_template": 0.01,
    "miniprogram": 0.0,
    "wecom": 0.0,
    "webhook": 0.0,
}
"""Planning estimate of the cost per message (the dispatch pre-flight has the real one)."""

MIN_HOLDOUT = 0.05
"""The smallest holdout the planner ever proposes (the evaluator refuses 0)."""


@dataclass(frozen=True)
class Playbook:
    """What the offline planner does for one objective."""

    objective: Objective
    """The objective served."""
    audience: dict[str, Any]
    """Default audience (SegmentSpec JSON) when the goal names none."""
    channels: tuple[str, ...]
    """Channels in order of preference."""
    kpi: str = "conversion_rate"
    """Default KPI."""
    holdout: float = 0.1
    """Default holdout share."""


PLAYBOOKS: dict[Objective, Playbook] = {
    p.objective: p
    for p in (
        Playbook(
            Objective.WIN_BACK,
            {"all": [{"field": "lifecycle_stage", "op": "in", "value": ["churn_risk", "churned"]}]},
            # The free WeChat channels last: reached lapsed users prefer them often enough.
            ("app_push", "sms", "email", "wechat_template", "miniprogram", "wecom"),
        ),
        Playbook(
            Objective.ONBOARDING,
            {"all": [{"field": "lifecycle_stage", "op": "in", "value": ["new"]}]},
            ("app_push", "email", "miniprogram", "sms"),
        ),
        Playbook(
            Objective.REPURCHASE,
            {
                "all": [
                    {"field": "days_since_last_order", "op": "between", "value": [20, 90]},
                    {"field": "orders_total", "op": ">=", "value": 1},
                ]
            },
            ("app_push", "wechat_template", "sms", "email"),
        ),
        Playbook(
            Objective.UPSELL,
            {"all": [{"field": "lifecycle_stage", "op": "in", "value": ["growing", "mature"]}]},
            ("app_push", "email", "wecom"),
            kpi="revenue",
        ),
        Playbook(
            Objective.VIP_CARE,
            {"all": [{"field": "ltv_tier", "op": "in", "value": ["high"]}]},
            ("wecom", "email", "app_push", "sms"),
            kpi="reply_rate",
        ),
        Playbook(
            Objective.SURVEY,
            {"all": [{"field": "days_since_last_order", "op": "<=", "value": 30}]},
            ("email", "app_push", "miniprogram"),
            kpi="reply_rate",
        ),
        Playbook(
            Objective.EVENT_INVITE,
            {
                "all": [
                    {
                        "field": "lifecycle_stage",
                        "op": "in",
                        "value": ["growing", "mature", "reactivated"],
                    }
                ]
            },
            ("wechat_template", "email", "app_push", "sms"),
            kpi="click_rate",
        ),
        Playbook(
            Objective.SERVICE_RECOVERY,
            {"all": [{"field": "satisfaction", "op": "<=", "value": 2.5}]},
            ("voice_call", "sms", "email"),
            kpi="reply_rate",
        ),
    )
}
"""One playbook per objective."""


def playbook(objective: Objective) -> Playbook:
    """Return the playbook of ``objective``."""
    return PLAYBOOKS[objective]


def default_audience(objective: Objective) -> SegmentSpec:
    """Return the playbook audience used when the goal names none."""
    return SegmentSpec.model_validate(PLAYBOOKS[objective].audience)


def allowed_channels(preferred: tuple[str, ...] | list[str], c: Constraints) -> list[str]:
    """Filter ``preferred`` by the goal's allowed/forbidden channels (allowed list wins order)."""
    if c.channels_allowed:
        base = [ch for ch in preferred if ch in c.channels_allowed]
        base += [ch for ch in c.channels_allowed if ch not in base]
    else:
        base = list(preferred)
    return [ch for ch in base if ch not in c.channels_forbidden]


def fallback_channel(channels: list[str]) -> str | None:
    """Return the fallback channel (push → SMS, where SMS is allowed), else ``None``."""
    if channels and channels[0] == "app_push" and "sms" in channels[1:]:
        return "sms"
    return None


COPY_LANGUAGES = ("zh", "en")
"""Languages the templates are written in."""


def copy_languages(goal: Goal, languages: dict[str, int]) -> list[str]:
    """The copy's languages, main first: the one the goal asks for, else the audience's own.

    ``languages`` counts the audience per profile language; users whose language has no
    templates (or is unknown) read the goal's language, which then comes first.
    """
    if goal.constraints.content_language:
        return [goal.constraints.content_language]
    found = [k for k, n in sorted(languages.items(), key=lambda x: -x[1]) if n > 0]
    known = [k for k in found if k in COPY_LANGUAGES]
    if not found or len(known) < len(found) or goal.language in known:
        known = [goal.language, *[k for k in known if k != goal.language]]
    return known


def fallback_variants(personas: list[str], channel: str, languages: list[str]) -> dict[str, str]:
    """The fallback rule's content per persona, and per ``persona@language`` for other languages."""
    out = {p: f"{p}-{channel}" for p in personas}
    for lang in languages[1:]:
        out.update({f"{p}@{lang}": f"{p}-{channel}-{lang}" for p in personas})
    return out


def channel_rule(
    goal: Goal, channels: list[str], personas: list[str], languages: list[str], ids: set[str]
) -> ChannelRule:
    """Return the preferred channels and the fallback of a step.

    The goal's order when it gives one (its last channel is the fallback, after the goal's
    wait), else push with an SMS fallback where both are allowed. ``ids``: the step's variant
    ids (the fallback names only content that exists).
    """
    ordered = len(goal.constraints.channel_order) >= 2 and len(channels) >= 2
    fb = channels[-1] if ordered else fallback_channel(channels)
    if fb is None:
        return ChannelRule(preferred=channels)
    hours = goal.constraints.fallback_after_hours
    wait = {"after_seconds": int(hours * 3600)} if hours and ordered else {}
    by = {k: v for k, v in fallback_variants(personas, fb, languages).items() if v in ids}
    first = next((v for v in by.values()), f"{personas[0]}-{fb}")
    return ChannelRule(
        preferred=channels[:-1] if ordered else channels,
        fallback=FallbackRule(
            channel=fb,
            variant_id=f"{personas[0]}-{fb}" if f"{personas[0]}-{fb}" in ids else first,
            variant_by_persona=by,
            **wait,
        ),
    )


def template_key(objective: Objective, lifecycle: list[str]) -> str:
    """Return the template key for the objective, refined by the audience's lifecycle."""
    if objective is Objective.WIN_BACK and lifecycle and set(lifecycle) <= {"churned"}:
        return "win_back_churned"
    return objective.value

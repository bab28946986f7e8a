"""The LLM's plan draft and how the goal bounds it (the draft can only narrow the audience).

The goal's explicit constraints are hard for the model too: they are listed in its prompt as
not negotiable (:func:`hard_constraints`), and whatever it writes is bounded afterwards —
channels in the goal's order, copy in each recipient's language, and any variant whose copy
breaks a content exclusion replaced by the reviewed template copy (:func:`bounded_variants`).
The evaluator then runs the same checks as on the offline planner's plans.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from agents.evaluation.checks import texts_of
from agents.planning import playbooks as pb
from tools.content import excluded_words, template_variants
from userops.cdp.segments.spec import SegmentSpec
from userops.dispatch.models import MessageContent
from userops.plan import Goal


class PlanDraft(BaseModel):
    """The model's plan proposal (bounded by the goal afterwards)."""

    name: str = Field(max_length=80)
    """Short campaign name."""
    segment: dict[str, Any] = Field(default_factory=dict)
    """Segment JSON: ``{"all": [...], "any": [...], "none": [...]}``."""
    channels: list[str] = Field(default_factory=list)
    """Channels in order of preference."""
    personas: list[str] = Field(default_factory=list)
    """Personas present in the audience."""
    holdout_share: float = Field(default=0.1, ge=0.0, le=0.5)
    """Share held out as control."""
    rationale: str = Field(default="", max_length=600)
    """Why this plan."""


def bounded_segment(goal: Goal, spec: SegmentSpec | None) -> SegmentSpec:
    """Return the goal's audience AND the draft's segment (the draft can only narrow it)."""
    g = goal.audience
    base = g if (g.all_ or g.any_ or g.none or g.search) else None
    if base is None and goal.objective is not None:
        base = pb.default_audience(goal.objective)
    base = base or SegmentSpec()
    if spec is None:
        return base
    all_ = list(base.all_) + [p for p in spec.all_ if p not in base.all_]
    none = list(base.none) + [p for p in spec.none if p not in base.none]
    any_ = list(base.any_) or list(spec.any_)
    if base.any_ and spec.any_:
        any_ = list(base.any_)
    return SegmentSpec.model_validate(
        {
            "all": all_,
            "any": any_,
            "none": none,
            "search": base.search or spec.search,
            "limit": spec.limit,
        }
    )


def hard_constraints(goal: Goal) -> str:
    """The goal's explicit constraints as one line built from parsed values only (no words)."""
    c = goal.constraints
    parts = []
    if c.channels_allowed:
        parts.append("channels only " + ", ".join(c.channels_allowed))
    if c.channels_forbidden:
        parts.append("never " + ", ".join(c.channels_forbidden))
    if len(c.channel_order) >= 2:
        wait = f" after {c.fallback_after_hours:g} hours" if c.fallback_after_hours else ""
        parts.append(
            f"first {' > '.join(c.channel_order[:-1])}, fallback {c.channel_order[-1]}{wait}"
        )
    if c.regions:
        parts.append("only users in " + ", ".join(c.regions))
    if c.budget is not None:
        parts.append(f"budget at most {c.budget:g}")
    if c.max_recipients is not None:
        parts.append(f"at most {c.max_recipients} recipients")
    if c.send_window is not None:
        parts.append(f"send window {c.send_window.start}-{c.send_window.end} local time")
    if c.content_exclusions:
        parts.append("copy without " + ", ".join(c.content_exclusions) + " (no {offer})")
    parts.append(
        f"copy in {c.content_language}"
        if c.content_language
        else "copy in each recipient's profile language"
    )
    if c.tone:
        parts.append(f"{c.tone} tone")
    parts.append(f"holdout at least {pb.MIN_HOLDOUT:g}")
    return "; ".join(parts)


def bounded_variants(
    goal: Goal,
    written: list[MessageContent],
    key: str,
    personas: list[str],
    channels: list[str],
    languages: list[str],
) -> list[MessageContent]:
    """The model's copy where it keeps the exclusions, else the template's; other languages.

    ``written`` is the model's copy in ``languages[0]``; recipients of the other languages
    get the reviewed template copy in theirs (ids suffixed ``-<language>``).
    """
    exclude = tuple(goal.constraints.content_exclusions)
    tone = goal.constraints.tone
    out: list[MessageContent] = []
    for v in written:
        if v.language == languages[0] and not excluded_words("\n".join(texts_of(v)), exclude):
            out.append(v)
            continue
        persona, channel = v.persona or personas[0], v.channel
        plain = template_variants(
            languages[0], key, [persona], [channel], exclude=exclude, tone=tone
        )
        out.append(plain[0].model_copy(update={"variant_id": v.variant_id}))
    for lang in languages[1:]:
        out += template_variants(
            lang, key, personas, channels, exclude=exclude, tone=tone, suffix=f"-{lang}"
        )
    return out

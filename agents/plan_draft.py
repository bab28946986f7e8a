"""The LLM's plan draft and how the goal bounds it (the draft can only narrow the audience)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from agents import playbooks as pb
from agents.schema import Goal
from userops.cdp.segment_spec import SegmentSpec


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

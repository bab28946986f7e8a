"""What a segment preview returns: :class:`SegmentSummary` and its parts (no contact data)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class SampleProfile(BaseModel):
    """One anonymized example member of the segment (no id, no contact data)."""

    lifecycle_stage: str
    """Lifecycle stage."""
    ltv_tier: str
    """LTV tier."""
    churn_risk: float
    """Churn risk, 0..1."""
    summary: str
    """Profile summary with any contact data redacted."""


class CampaignOverlap(BaseModel):
    """How many segment members are already in an active campaign."""

    campaign_id: str
    """Campaign id."""
    name: str
    """Campaign name."""
    status: str
    """Campaign status (approved, scheduled or running)."""
    users: int
    """Segment members who are members of that campaign."""


class SegmentSummary(BaseModel):
    """What an operator or the planner sees of a segment before using it."""

    spec: dict[str, Any]
    """The segment spec, in its JSON form."""
    size: int
    """Number of canonical users in the segment."""
    reachable: dict[str, int]
    """Per channel, members whose ``reachable_channels`` has it (consent, address and
    do-not-contact as of the last profile build; dispatch re-checks at send time)."""
    reachable_now: dict[str, int] | None = None
    """Per channel, members still reachable under the current consents and do-not-contact
    flags (only with ``verify_reach``; see :mod:`userops.cdp.segments.reach`)."""
    distributions: dict[str, dict[str, int]]
    """Member counts by ``lifecycle_stage``, ``ltv_tier``, ``preferred_channel``, ``region``."""
    mean_churn_risk: float | None
    """Mean churn risk of the members (``None`` for an empty segment)."""
    mean_ltv_12m: float | None
    """Mean predicted 12-month LTV of the members (``None`` for an empty segment)."""
    samples: list[SampleProfile] = Field(default_factory=list)
    """Up to 5 anonymized example members."""
    overlap: list[CampaignOverlap] = Field(default_factory=list)
    """Active campaigns that already include some members."""

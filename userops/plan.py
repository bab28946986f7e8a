"""The plan contract: what an operator asked for and what is proposed.

Goal and CampaignPlan are shared by agents, tools and the API; they live in the
platform so that tools never import agents.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from userops.cdp.segments.spec import SegmentSpec
from userops.dispatch.models import FallbackRule, MessageContent


class Objective(StrEnum):
    """What a campaign is for."""

    WIN_BACK = "win_back"
    ONBOARDING = "onboarding"
    REPURCHASE = "repurchase_reminder"
    UPSELL = "upsell_cross_sell"
    VIP_CARE = "vip_care"
    SURVEY = "survey_feedback"
    EVENT_INVITE = "event_invitation"
    SERVICE_RECOVERY = "service_recovery"


class TimeWindow(BaseModel):
    """Allowed sending window in the user's local time, e.g. 09:00–21:00."""

    start: str = "09:00"
    """Local start time, ``HH:MM``."""
    end: str = "21:00"
    """Local end time, ``HH:MM`` (exclusive)."""


class Constraints(BaseModel):
    """Limits the operator set on the campaign."""

    budget: float | None = None
    """Maximum spend in currency units."""
    max_recipients: int | None = None
    """Upper bound on treatment recipients."""
    channels_allowed: list[str] = Field(default_factory=list)
    """Only these channels (empty: any)."""
    channels_forbidden: list[str] = Field(default_factory=list)
    """Never these channels."""
    send_window: TimeWindow | None = None
    """Local-time window for sends (quiet hours are enforced regardless)."""
    deadline: str | None = None
    """ISO date by which the campaign must have run."""
    channel_order: list[str] = Field(default_factory=list)
    """Channels in the order the operator gave ("push first, then SMS"): the last one is the
    fallback for users who did not respond on the earlier ones; empty: no order given."""
    fallback_after_hours: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    """How long to wait for a response before the fallback channel of ``channel_order``
    (``None``: the planner's default)."""
    regions: list[str] = Field(default_factory=list)
    """Places the audience must live in, as gazetteer keys (``shanghai``, ``guangdong``,
    ``california``); the matching ``region`` predicates are in the goal's audience."""
    content_exclusions: list[str] = Field(default_factory=list)
    """What the copy must not contain: ``discount``, ``coupon``, ``promotion``, ``gift``."""
    content_language: Literal["zh", "en"] | None = None
    """The copy's language when the operator asks for one ("in English", "用中文发");
    ``None``: each recipient gets the copy in their own profile language."""
    tone: Literal["friendly"] | None = None
    """A tone asked for ("friendlier", "语气亲切一点"); ``None``: the playbook's."""


class Clarification(BaseModel):
    """Explicit words of the goal that the parser saw but could not turn into a constraint."""

    field: Literal["channel", "budget", "max_recipients", "audience", "region", "window", "number"]
    """The kind of constraint the words were about."""
    words: str
    """The operator's words it could not use (redacted)."""
    question: str
    """The question to ask the operator, in the goal's language."""


class KpiTarget(BaseModel):
    """What success is measured by."""

    metric: Literal["conversion_rate", "click_rate", "open_rate", "reply_rate", "revenue"] = (
        "conversion_rate"
    )
    """KPI compared between treatment and holdout."""
    target_uplift: float | None = None
    """Desired absolute uplift over holdout (e.g. 0.02 = +2 points)."""


class Goal(BaseModel):
    """The operator's goal as understood; shown back to the operator."""

    text: str
    """The operator's own words."""
    language: Literal["zh", "en"] = "zh"
    """Language of the operator and of the content."""
    objective: Objective | None = None
    """Campaign objective; ``None`` means the planner must ask."""
    audience_hints: list[str] = Field(default_factory=list)
    """Audience phrases understood, e.g. ``days_since_last_order>=60``, ``high value``."""
    audience: SegmentSpec = Field(default_factory=SegmentSpec)
    """Audience constraints derived from the goal (every recipient must satisfy them)."""
    constraints: Constraints = Field(default_factory=Constraints)
    """Budget, channels, time windows, deadline."""
    kpi: KpiTarget = Field(default_factory=KpiTarget)
    """KPI and target."""
    not_understood: list[str] = Field(default_factory=list)
    """Parts of the goal the planner did not understand (said back to the operator)."""
    assumed: list[str] = Field(default_factory=list)
    """What the planner assumed rather than read in the words (said back to the operator)."""
    forbidden: list[str] = Field(default_factory=list)
    """Requests the system will not carry out (e.g. ignore consent), with the reason."""
    questions: list[Clarification] = Field(default_factory=list)
    """Explicit constraints the parser could not map: ask before planning, never drop them."""
    amendments: list[str] = Field(default_factory=list)
    """Approvers' reasons folded into the goal (reject or respond), oldest first: the
    constraints they set are checked like the operator's own."""


class ChannelRule(BaseModel):
    """How the channel is chosen per user."""

    preferred: list[str]
    """Channels allowed, in order of preference: each user gets their own preferred channel
    (``preferred_channel``) when it is one of these and reachable, else the first one
    reachable for them."""
    fallback: FallbackRule | None = None
    """No response within the window → this channel."""


class PlanStep(BaseModel):
    """One step of a campaign: an audience, a channel rule, content variants, a schedule."""

    step_id: str = "s1"
    """Step identifier, unique in the plan."""
    segment: SegmentSpec
    """Who is targeted."""
    channel_rule: ChannelRule
    """Channel per user."""
    personas: list[str]
    """Personas present in the audience (content_affinity values)."""
    variants: list[MessageContent]
    """Content per persona × channel (placeholders filled at send time)."""
    send_at: str | None = None
    """ISO timestamp of the earliest send; default now (quiet hours still apply)."""
    holdout_share: float = Field(default=0.1, ge=0.0, le=0.5)
    """Share of the audience held out as control."""
    ab_split: dict[str, float] = Field(default_factory=dict)
    """A/B arms within treatment (arm → share), empty for none."""
    marketing: bool = True
    """Marketing (consent, caps, quiet hours) or transactional."""


class CampaignPlan(BaseModel):
    """A proposed campaign, revised until the evaluator passes it."""

    name: str
    """Short human name."""
    objective: Objective
    """What the campaign is for."""
    language: Literal["zh", "en"]
    """Language of the content."""
    steps: list[PlanStep]
    """Campaign steps (the first is the main send; later ones are follow-ups)."""
    budget: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    """Spend cap passed to the dispatch engine (finite: a NaN cap would never be reached)."""
    kpi: KpiTarget = Field(default_factory=KpiTarget)
    """What is measured."""
    rationale: str = ""
    """Why this plan, in the operator's language."""
    revision: int = 0
    """Revision number (0 = first proposal)."""

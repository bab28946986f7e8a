"""The approval card: what an approver reads and what the approval permits (a contract).

The API (``GET /v1/approvals/{id}``), the CLI (``userops approvals show``, ``chat``) and the
web inbox all read this shape; it is stored as JSON in ``approvals.card``. Beside the plan,
pre-flight, previews, findings, risk and diff, a card carries:

- ``understood``: the goal as interpreted ("what I understood"), in the operator's terms;
- ``contract``: every step the approval permits — the main step, its fallback, the
  comparison arm, or a follow-up (each follow-up has a card of its own) — with per-channel
  maximum messages and maximum cost, and the totals. The dispatch engine reads
  ``contract.steps`` of the approved cards and never enqueues beyond them
  (:mod:`userops.dispatch.bounds`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from userops.dispatch.fallback import fallback_step_id
from userops.dispatch.models import ApprovedStep, ChannelBound, DispatchStep, PreflightReport

__all__ = [
    "ApprovalCard",
    "CardPreflight",
    "CardStep",
    "ChannelBound",
    "Contract",
    "Understood",
    "build_contract",
]

StepKind = Literal["main", "comparison", "fallback", "followup"]


class CardStep(ApprovedStep):
    """One step the approval permits: its kind and its per-channel bounds."""

    kind: StepKind
    """``main`` (the plan step approved), ``comparison`` (the one-size-fits-all arm measured
    against it), ``fallback`` (no response within the window → the fallback channel) or
    ``followup`` (a later plan step, approved on its own card)."""
    of: str | None = None
    """The step a fallback or a comparison arm belongs to."""
    expected_messages: int | None = None
    """Messages the pre-flight expects (sent or deferred); None for a fallback, which
    depends on who responds."""
    max_messages: int = Field(ge=0)
    """Most messages of the step, all channels."""
    max_cost: float = Field(ge=0, allow_inf_nan=False)
    """Most cost of the step, all channels."""


class Contract(BaseModel):
    """Everything the approval permits; the engine cannot exceed it."""

    steps: list[CardStep]
    """Each step with its bounds (the engine's per step and channel limits)."""
    by_channel: list[ChannelBound]
    """Per channel, the sum over the steps."""
    max_messages: int = Field(ge=0)
    """Most messages of the whole approval."""
    max_cost: float = Field(ge=0, allow_inf_nan=False)
    """Most cost of the whole approval."""


class Understood(BaseModel):
    """The operator's goal as the system interpreted it ("what I understood")."""

    text: str
    """The operator's own words."""
    language: str = "zh"
    """Language of the operator (and of ``lines``)."""
    objective: str | None = None
    """The campaign objective understood (``win_back``...)."""
    audience: list[str] = Field(default_factory=list)
    """Audience phrases understood (``days_since_last_order>=60``...)."""
    regions: list[str] = Field(default_factory=list)
    """Places the audience must live in."""
    channels: list[str] = Field(default_factory=list)
    """Channels the campaign uses, in order of preference."""
    channel_order: list[str] = Field(default_factory=list)
    """The order the operator gave (empty: none given)."""
    channels_forbidden: list[str] = Field(default_factory=list)
    """Channels the operator ruled out."""
    fallback_channel: str | None = None
    """Channel for users who did not respond, if any."""
    fallback_after_hours: float | None = None
    """How long to wait for a response before the fallback."""
    budget: float | None = None
    """Spend cap."""
    max_recipients: int | None = None
    """Upper bound on recipients the operator gave."""
    window: str | None = None
    """Local send window ``HH:MM-HH:MM`` (quiet hours apply regardless)."""
    exclusions: list[str] = Field(default_factory=list)
    """What the copy must not contain (``discount``, ``coupon``...)."""
    kpi: str | None = None
    """What success is measured by."""
    assumed: list[str] = Field(default_factory=list)
    """What was assumed rather than read in the words."""
    not_understood: list[str] = Field(default_factory=list)
    """Parts of the goal not understood (ignored)."""
    lines: list[str] = Field(default_factory=list)
    """The above as sentences in the operator's language, for display."""


class CardPreflight(BaseModel):
    """The pre-flight of the card's steps, summed (main step and comparison arm)."""

    total: int = 0
    """Recipients in treatment, before policy."""
    sent: int = 0
    """Messages that would go out now."""
    deferred: int = 0
    """Messages deferred to the next allowed time."""
    suppressed: dict[str, int] = Field(default_factory=dict)
    """Messages that would not go out, by reason."""
    holdout: int = 0
    """Users held out."""
    cost: float = 0.0
    """Cost of the messages sent or deferred."""
    by_channel: dict[str, int] = Field(default_factory=dict)
    """Messages sent or deferred per channel."""
    warnings: list[str] = Field(default_factory=list)
    """Content-rule findings and other notes."""


class ApprovalCard(BaseModel):
    """One approval request's card, as stored, served and shown."""

    approval_id: str
    """``<campaign>-r<revision>-s<step index>``."""
    campaign_id: str
    """The campaign."""
    revision: int
    """Plan revision shown."""
    step_id: str
    """The plan step this card approves."""
    requested_by: str | None = None
    """Who asked (the operator)."""
    edited_by: str | None = None
    """Who last edited this revision's plan (may never approve it)."""
    plan: dict[str, Any]
    """The whole campaign plan (``CampaignPlan`` JSON)."""
    audience_size: int = 0
    """Users in the step's segment (treatment and holdout)."""
    preflight: CardPreflight
    """What the pre-flight expects now."""
    previews: list[dict[str, Any]] = Field(default_factory=list)
    """Every variant rendered for a sample recipient as it will be sent."""
    findings: list[dict[str, Any]] = Field(default_factory=list)
    """The evaluator's findings."""
    escalated: bool = False
    """The evaluator still asks for changes after its last round."""
    risk_tier: str = "medium"
    """``low``, ``medium`` or ``high``."""
    diff: list[dict[str, Any]] = Field(default_factory=list)
    """Changed plan leaves since the plan shown last time."""
    understood: Understood | None = None
    """The goal as interpreted (None on cards written before it existed)."""
    contract: Contract | None = None
    """What the approval permits (None on cards written before it existed: such an
    approval permits nothing to the engine)."""


def _bounds(report: PreflightReport) -> list[ChannelBound]:
    return [
        ChannelBound(
            channel=ch,
            max_messages=n,
            max_cost=report.cost_by_channel.get(ch, report.cost),
        )
        for ch, n in sorted(report.by_channel.items())
        if n > 0
    ]


def _line(
    step_id: str, kind: StepKind, of: str | None, bounds: list[ChannelBound], expected: int | None
) -> CardStep:
    return CardStep(
        step_id=step_id,
        kind=kind,
        of=of,
        bounds=bounds,
        expected_messages=expected,
        max_messages=sum(b.max_messages for b in bounds),
        max_cost=round(sum(b.max_cost for b in bounds), 4),
    )


def build_contract(
    parts: list[tuple[DispatchStep, PreflightReport]], *, followup: bool = False
) -> Contract:
    """The contract of dispatch steps from their pre-flights.

    Each step is bounded per channel by its pre-flight (messages sent or deferred, and their
    cost); its fallback by everyone who could fall back (:attr:`PreflightReport.fallback`).
    A step whose metadata says ``arm: blast`` is the comparison arm; ``followup``: the
    steps are a later plan step's.
    """
    steps: list[CardStep] = []
    for step, report in parts:
        blast = step.metadata.get("arm") == "blast"
        kind: StepKind = "comparison" if blast else "followup" if followup else "main"
        of = str(step.metadata.get("baseline_of") or step.step_id) if blast else None
        expected = report.would_send + report.deferred
        steps.append(_line(step.step_id, kind, of, _bounds(report), expected))
        if report.fallback is not None:
            fb_id = fallback_step_id(step.step_id)
            steps.append(_line(fb_id, "fallback", step.step_id, [report.fallback], None))
    totals: dict[str, list[float]] = {}
    for s in steps:
        for b in s.bounds:
            t = totals.setdefault(b.channel, [0, 0.0])
            t[0] += b.max_messages
            t[1] += b.max_cost
    by_channel = [
        ChannelBound(channel=ch, max_messages=int(n), max_cost=round(c, 4))
        for ch, (n, c) in sorted(totals.items())
    ]
    return Contract(
        steps=steps,
        by_channel=by_channel,
        max_messages=sum(s.max_messages for s in steps),
        max_cost=round(sum(s.max_cost for s in steps), 4),
    )

"""What the dispatch engine accepts and reports (the contract with the tools above it)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

_HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class CallBranch(BaseModel):
    """One branch of an outbound-call script: what the user says, what the agent answers."""

    intent: str
    """Intent tag recorded on the profile when this branch is taken (e.g. ``interested``)."""
    user_says: str
    """Example utterance that triggers the branch."""
    reply: str
    """What the voice agent says next."""


class CallScript(BaseModel):
    """Script of an AI outbound call: opening, branches, close."""

    opening: str
    """First words of the call (who is calling and why)."""
    branches: list[CallBranch]
    """Branches by the user's intent."""
    close: str
    """Closing words."""


class MessageContent(BaseModel):
    """One content variant for one channel. Placeholders like ``{name}`` are filled at send."""

    model_config = ConfigDict(extra="forbid")
    variant_id: str
    """Unique within the campaign step, e.g. ``tutorial-sms-a``."""
    channel: str
    """Channel this content is written for."""
    language: str = "zh"
    """``zh`` or ``en``."""
    persona: str | None = None
    """Persona the variant targets (``tutorial``, ``offer``, ``social``, ``service``...)."""
    content_type: str | None = None
    """Content type for response simulation (tutorial, offer, social, service)."""
    subject: str | None = None
    """Email subject."""
    title: str | None = None
    """Push title."""
    body: str = ""
    """Main text (SMS text, push body, WeCom text, email text part)."""
    html: str | None = None
    """Email HTML part."""
    url: str | None = None
    """Link or mini-program page the message opens."""
    template_id: str | None = None
    """Provider template id (WeChat template message, mini-program subscription, SMS)."""
    template_fields: dict[str, str] = Field(default_factory=dict)
    """Template data fields for WeChat/mini-program templates."""
    script: CallScript | None = None
    """Outbound-call script."""


class FallbackRule(BaseModel):
    """No response on the first channel within a window → the next channel."""

    after_seconds: int = 24 * 3600
    """How long to wait for an open/click/reply before falling back."""
    channel: str = "sms"
    """Channel to fall back to."""
    variant_id: str | None = None
    """Content to use on the fallback channel (must exist in ``contents``)."""
    variant_by_persona: dict[str, str] = Field(default_factory=dict)
    """Per persona, the content on the fallback channel: a fallback row takes the persona of
    the user's original variant and uses its content here, else ``variant_id``."""


class SendWindow(BaseModel):
    """Local times (each user's own zone) between which the step's messages may go out.

    ``start`` is the first allowed minute and ``end`` the first minute after the window.
    A window that wraps midnight (``20:00``-``08:00``) is allowed; ``start == end`` is
    refused (it would mean both "never" and "always"). Outside the window a message is
    deferred to the next allowed minute, never dropped; marketing messages must also be
    outside the policy's quiet hours, and a window with no minute outside them is refused
    at enqueue. Accepts ``("10:00", "18:00")`` as well as ``{"start": ..., "end": ...}``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    start: str = Field(pattern=_HHMM)
    """First allowed local minute, ``HH:MM`` (24-hour)."""
    end: str = Field(pattern=_HHMM)
    """First local minute after the window, ``HH:MM`` (exclusive)."""

    @model_validator(mode="before")
    @classmethod
    def _pair(cls, v: Any) -> Any:
        if isinstance(v, list | tuple) and len(v) == 2:
            return {"start": v[0], "end": v[1]}
        return v

    @model_validator(mode="after")
    def _not_empty(self) -> SendWindow:
        if self.start == self.end:
            raise ValueError("start and end are the same minute")
        return self


class DispatchStep(BaseModel):
    """A campaign step ready for the engine: who gets which content on which channel.

    The engine decides nothing about *who should* get a message — that is the plan's job —
    but everything about *whether they may*: consent, do-not-contact, frequency caps, quiet
    hours, budget and holdout are enforced here, whatever the plan says.
    """

    campaign_id: str
    """Campaign the step belongs to."""
    step_id: str = "s1"
    """Step within the campaign."""
    marketing: bool = True
    """Marketing messages obey consent, caps and quiet hours; transactional ones obey consent
    and do-not-contact only (see docs/policy.md)."""
    contents: dict[str, MessageContent]
    """Content variants by ``variant_id``."""
    assignments: list[tuple[int, str, str]]
    """Treatment recipients: ``(user_id, channel, variant_id)``."""
    holdout: list[int] = Field(default_factory=list)
    """Users held out as control: recorded, never sent to."""
    budget: float | None = None
    """Maximum spend of the campaign (currency units); what exceeds it is suppressed."""
    send_at_ts: int | None = None
    """Earliest send time (UTC epoch seconds); default: now."""
    fallback: FallbackRule | None = None
    """Optional fallback on no response."""
    send_window: SendWindow | None = None
    """Local send window of the operator (every message of the step, transactional too);
    ``None``: any time the policy allows."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Free-form context carried into the outbox content (never used for policy)."""


class ChannelBound(BaseModel):
    """The most one step may put out on one channel: messages and their cost."""

    model_config = ConfigDict(extra="forbid")
    channel: str
    """The channel."""
    max_messages: int = Field(ge=0)
    """Most messages (sent, deferred or queued; suppressed rows do not count)."""
    max_cost: float = Field(ge=0, allow_inf_nan=False)
    """Most cost of those messages (the policy's cost table, SMS per segment)."""


class ApprovedStep(BaseModel):
    """What an approval permits one step (main, fallback, comparison arm, follow-up) to send.

    The engine reads these from the approved cards (``card.contract.steps``) and refuses to
    enqueue beyond them (see :mod:`userops.dispatch.bounds`).
    """

    step_id: str = Field(min_length=1, max_length=32)
    """Outbox step id (``s1``, ``s1-fb``, ``s1b``...)."""
    bounds: list[ChannelBound] = Field(default_factory=list)
    """Per channel: the most messages and cost; a channel not listed may send nothing."""


class PreflightReport(BaseModel):
    """What a dispatch would do, computed without sending anything."""

    total: int
    """Recipients in the step (treatment, before policy)."""
    would_send: int
    """Messages that would go out now."""
    deferred: int
    """Messages deferred to the next allowed time (quiet hours, send window, caps)."""
    suppressed: dict[str, int]
    """Messages that would not go out, by reason (consent, do_not_contact, frequency_cap,
    budget, holdout, content_rule, unreachable...)."""
    holdout: int
    """Users in the holdout group."""
    cost: float
    """Cost of the messages that would be sent or deferred."""
    by_channel: dict[str, int]
    """Messages that would be sent or deferred, per channel."""
    cost_by_channel: dict[str, float] = Field(default_factory=dict)
    """Cost of the messages that would be sent or deferred, per channel."""
    fallback: ChannelBound | None = None
    """Upper bound of the step's fallback (``<step>-fb``) when it has one: every user who
    would get a message on another channel than the fallback's, at the dearest content on
    the fallback channel."""
    warnings: list[str] = Field(default_factory=list)
    """Content-rule findings and other notes for the approver."""

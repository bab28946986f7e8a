"""The nodes of a journey: send, wait, wait for an event, branch, split, exit.

Discriminated by ``kind``; shared small types (event matches, durations, local times) live
here too. See :mod:`userops.journeys.spec` and docs/journeys.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from userops.cdp.segments.spec import SegmentSpec, TraitPredicate
from userops.dispatch.models import MessageContent, SendWindow

NODE_ID = r"^[A-Za-z][A-Za-z0-9_-]{0,19}$"
"""Node ids: a letter, then letters, digits, ``_`` or ``-``; at most 20 characters."""
HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Strict(BaseModel):
    """A model that refuses unknown keys."""

    model_config = ConfigDict(extra="forbid")


class EventMatch(Strict):
    """Events that match: a name and property filters.

    ``event`` is a store event type (``order``, ``page_view``...), a known Segment track
    name (``Order Completed`` is ``order``), or any other name, matched as a ``custom`` event
    whose ``properties.event`` is that name (``Cart Abandoned``).
    """

    event: str = Field(min_length=1, max_length=64)
    """Event type or name."""
    where: dict[str, Any] = Field(default_factory=dict)
    """Property conditions, as in segments: ``{"prop": value}`` or
    ``{"prop": {"op": OP, "value": V}}``; also the columns ``channel``, ``amount``,
    ``quantity``, ``campaign_id``."""


class Duration(Strict):
    """A length of time; the parts add up and must be more than zero."""

    days: int = Field(default=0, ge=0, le=366)
    """Days."""
    hours: int = Field(default=0, ge=0, le=24 * 366)
    """Hours."""
    minutes: int = Field(default=0, ge=0, le=60 * 24 * 366)
    """Minutes."""

    def seconds(self) -> int:
        """The duration in seconds."""
        return self.days * 86400 + self.hours * 3600 + self.minutes * 60


class LocalTime(Strict):
    """A local time of day in the user's own zone, optionally only on some weekdays."""

    time: str = Field(pattern=HHMM)
    """``HH:MM`` (24-hour), local to the user."""
    weekdays: list[Weekday] = Field(default_factory=list)
    """Only on these days (``mon`` … ``sun``); empty: any day."""


class SendNode(Strict):
    """Send one message through the dispatch engine (consent, caps, quiet hours apply)."""

    kind: Literal["send"]
    id: str = Field(pattern=NODE_ID)
    """Node id, unique in the journey."""
    channels: list[str] = Field(min_length=1, max_length=8)
    """Channels in order of preference; a user gets the first they are reachable on."""
    use_preferred_channel: bool = True
    """Use the user's ``preferred_channel`` trait first when it is one of ``channels``."""
    variants: list[MessageContent] = Field(min_length=1, max_length=50)
    """Content variants: per channel, per persona (``content_affinity``, else ``default``
    or the first), per language; several for one (persona, channel, language) are A/B arms
    by hash. The content rules of the channel apply."""
    marketing: bool = True
    """Marketing (consent, caps and quiet hours) or transactional (consent and DNC only)."""
    send_window: SendWindow | None = None
    """Local send window (deferred outside it, never dropped)."""
    values: dict[str, str] = Field(default_factory=dict)
    """Values of the ``{brand}`` and ``{offer}`` placeholders."""
    next: str
    """The node after the send."""


class WaitNode(Strict):
    """Wait a duration, or until a local time of day (on some weekdays)."""

    kind: Literal["wait"]
    id: str = Field(pattern=NODE_ID)
    """Node id, unique in the journey."""
    duration: Duration | None = None
    """Wait this long."""
    until: LocalTime | None = None
    """Wait until the next such local time (now if it is that minute)."""
    next: str
    """The node after the wait."""


class WaitForEventNode(Strict):
    """Wait for an event up to a timeout, then go one way or the other."""

    kind: Literal["wait_for_event"]
    id: str = Field(pattern=NODE_ID)
    """Node id, unique in the journey."""
    event: EventMatch
    """The event waited for (done after the member arrived here)."""
    timeout: Duration
    """How long to wait."""
    happened: str
    """The node when the event happened in time."""
    timed_out: str
    """The node when it did not."""


class BranchCase(Strict):
    """One branch: a trait condition or a segment, and where it leads."""

    trait: TraitPredicate | None = None
    """A condition on one trait (``{"field": "ltv_tier", "op": "=", "value": "high"}``)."""
    segment: SegmentSpec | None = None
    """A segment the user must be in (no ``search`` nor ``limit``)."""
    next: str
    """The node for users that match."""


class BranchNode(Strict):
    """Go to the first case that matches the user's traits, else ``otherwise``."""

    kind: Literal["branch"]
    id: str = Field(pattern=NODE_ID)
    """Node id, unique in the journey."""
    cases: list[BranchCase] = Field(min_length=1, max_length=20)
    """Cases in order; the first that matches wins."""
    otherwise: str
    """The node for users that match no case (or have no trait row yet)."""


class SplitArm(Strict):
    """One arm of a random split."""

    name: str = Field(pattern=NODE_ID)
    """Arm name (``a``, ``b``...)."""
    weight: float = Field(gt=0, le=1000, allow_inf_nan=False)
    """Relative weight among the arms."""
    next: str
    """The node of this arm."""


class SplitNode(Strict):
    """A random split (A/B/n) with an optional holdout, stable per user and journey."""

    kind: Literal["split"]
    id: str = Field(pattern=NODE_ID)
    """Node id, unique in the journey."""
    arms: list[SplitArm] = Field(min_length=1, max_length=10)
    """The arms (their weights share what the holdout leaves)."""
    holdout: float = Field(default=0.0, ge=0, le=0.5, allow_inf_nan=False)
    """Share of users held out: they exit with reason ``holdout`` and get nothing."""
    auto_winner: bool = False
    """After the significance rule names a winning arm (docs/journeys.md, Measurement), new
    members of the arms all take the winner. Off unless the approved version turns it on."""
    min_per_arm: int = Field(default=200, ge=30, le=1_000_000)
    """Members each arm needs before the significance rule may name a winner."""


class ExitNode(Strict):
    """End the journey for the member."""

    kind: Literal["exit"]
    id: str = Field(pattern=NODE_ID)
    """Node id, unique in the journey."""
    reason: str = Field(default="completed", pattern=r"^[a-z][a-z0-9_]{0,31}$")
    """Exit reason shown in the counts."""


Node = Annotated[
    SendNode | WaitNode | WaitForEventNode | BranchNode | SplitNode | ExitNode,
    Field(discriminator="kind"),
]

"""The typed journey definition: entry trigger, nodes, goal, re-entry rule, message limits.

A ``JourneySpec`` is JSON (``docs/journeys.md``). Triggers and nodes are discriminated by
``kind``; pydantic checks the shape, :mod:`userops.journeys.check` the meaning (node ids,
edges, cycles, channels, content rules, trait fields), every problem with its JSON path.
The first node of ``nodes`` is where a member starts.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from userops.cdp.segments.spec import SegmentSpec
from userops.journeys.nodes import HHMM, EventMatch, Node, Strict

Stage = Literal["new", "growing", "mature", "churn_risk", "churned", "reactivated"]


class EventTrigger(Strict):
    """Enter when the user does an event (``Cart Abandoned``, ``Order Completed``...)."""

    kind: Literal["event"]
    event: str = Field(min_length=1, max_length=64)
    """Event type or name (see :class:`EventMatch`)."""
    where: dict[str, Any] = Field(default_factory=dict)
    """Property conditions (see :class:`EventMatch`)."""

    def match(self) -> EventMatch:
        """The trigger as an :class:`EventMatch`."""
        return EventMatch(event=self.event, where=self.where)


class SegmentTrigger(Strict):
    """Enter when the user enters a segment (was not in it at the previous check)."""

    kind: Literal["segment"]
    segment: SegmentSpec
    """The audience (no ``search`` nor ``limit``)."""
    include_existing: bool = False
    """At the first check, let everyone already in the segment enter too."""
    every_minutes: int = Field(default=15, ge=1, le=1440)
    """How often the segment is checked."""


class AnniversaryTrigger(Strict):
    """Enter on the yearly anniversary of a date, at a local time in the user's own zone."""

    kind: Literal["anniversary"]
    date: Literal["birthday", "signup"]
    """``birthday`` (the ``birthday`` trait sent by identify, ``YYYY-MM-DD``) or ``signup``
    (the day the user's first record was created; the day itself is not an anniversary)."""
    at: str = Field(default="10:00", pattern=HHMM)
    """Local time of day (``HH:MM``) at which the user enters."""


class LifecycleTrigger(Strict):
    """Enter when the user's lifecycle stage changes (a ``lifecycle_stage_changed`` event)."""

    kind: Literal["lifecycle"]
    to: list[Stage] = Field(min_length=1)
    """Enter on a change to one of these stages."""
    from_: list[Stage] = Field(default_factory=list, alias="from")
    """Only from one of these stages; empty: from any."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


Trigger = Annotated[
    EventTrigger | SegmentTrigger | AnniversaryTrigger | LifecycleTrigger,
    Field(discriminator="kind"),
]


class ReEntry(Strict):
    """Whether a user may enter again after leaving (never twice at once)."""

    policy: Literal["never", "after"] = "never"
    """``never``, or ``after`` ``days`` since the previous entry."""
    days: int | None = Field(default=None, ge=1, le=3650)
    """Days after the previous entry (``after`` only)."""


class PerUserLimit(Strict):
    """At most ``count`` messages of this journey per user in ``days`` days."""

    count: int = Field(ge=1, le=1000)
    """Messages."""
    days: int = Field(ge=1, le=365)
    """Rolling window in days."""


class Limits(Strict):
    """Per-journey message limits (on top of the policy's caps across all sends)."""

    per_entry: int | None = Field(default=None, ge=1, le=1000)
    """At most this many messages per entry."""
    per_user: PerUserLimit | None = None
    """At most this many messages per user over a rolling window, across entries."""


class JourneySpec(Strict):
    """An always-on journey (see docs/journeys.md)."""

    name: str = Field(min_length=1, max_length=200)
    """Name shown in lists."""
    description: str = Field(default="", max_length=2000)
    """What the journey is for."""
    trigger: Trigger
    """How users enter."""
    nodes: list[Node] = Field(min_length=1, max_length=100)
    """The steps; members start at the first."""
    goal: EventMatch | None = None
    """The goal event: doing it ends the member's journey at once, as a conversion."""
    reentry: ReEntry = Field(default_factory=ReEntry)
    """Re-entry rule."""
    limits: Limits = Field(default_factory=Limits)
    """Per-journey message limits."""

    def node(self, node_id: str) -> Node:
        """The node with id ``node_id`` (KeyError if none)."""
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def dump(self) -> dict[str, Any]:
        """The JSON form (aliases, no empty defaults)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

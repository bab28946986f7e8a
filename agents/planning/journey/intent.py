"""What a journey goal asks for, read deterministically: trigger, steps, goal event, rules.

:class:`JourneyIntent` is the offline reading of the operator's words
(:mod:`agents.planning.journey.reader`). The offline planner builds the spec from it; the
evaluator checks any planner's spec (offline or LLM) against it, item by item, so nothing
the operator said explicitly is dropped silently.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Step(BaseModel):
    """One step the goal names, in order."""

    kind: Literal["send", "wait", "await", "until"]
    """``send`` a message; ``wait`` a duration; ``await`` an event up to a timeout (the
    following steps run when it times out); ``until`` a local time of day."""
    seconds: int = 0
    """Duration of a ``wait``, timeout of an ``await``."""
    event: str | None = None
    """The event of an ``await``."""
    channels: list[str] = Field(default_factory=list)
    """Channels a ``send`` names (empty: the playbook's)."""
    theme: str | None = None
    """Content theme of a ``send`` (``tutorial``, ``first_order``...)."""
    offer: str | None = None
    """The offer in the operator's words (``立减20元``), filled into ``{offer}``."""
    time: str | None = None
    """``HH:MM`` of an ``until``."""
    weekdays: list[str] = Field(default_factory=list)
    """Weekdays of an ``until`` (empty: any day)."""
    words: str = ""
    """The operator's words behind the step."""
    explicit: bool = True
    """Said by the operator (False: from the playbook)."""


class JourneyIntent(BaseModel):
    """The offline reading of a journey goal."""

    text: str
    """The goal."""
    language: Literal["zh", "en"] = "zh"
    """The operator's language."""
    playbook: str | None = None
    """The playbook the goal matches (``welcome``, ``abandoned_cart``...)."""
    trigger: dict[str, Any] | None = None
    """The entry trigger (``JourneySpec.trigger`` JSON)."""
    trigger_explicit: bool = False
    """The operator named the trigger (not only the playbook's)."""
    steps: list[Step] = Field(default_factory=list)
    """Steps the operator named, in order."""
    goal_event: str | None = None
    """The goal event (exit and conversion)."""
    goal_explicit: bool = False
    """The operator named the goal event."""
    reentry: dict[str, Any] | None = None
    """The re-entry rule the operator named."""
    per_entry: int | None = None
    """Messages per entry the operator allowed."""
    per_user: dict[str, int] | None = None
    """Messages per user over ``days`` (``{"count", "days"}``) the operator allowed."""
    trigger_time: str | None = None
    """Local ``HH:MM`` of an anniversary trigger the operator named."""
    audience: dict[str, Any] | None = None
    """Who may go through (a ``SegmentSpec`` dump on who-fields: value tier, region,
    interests...); others exit at the first node (``outside_audience``)."""
    send_window: dict[str, str] | None = None
    """Local send window (``start``, ``end``)."""
    channels_allowed: list[str] = Field(default_factory=list)
    """Only these channels."""
    channels_forbidden: list[str] = Field(default_factory=list)
    """Never these channels."""
    exclusions: list[str] = Field(default_factory=list)
    """Content exclusions (``discount``, ``coupon``, ``gift``, ``promotion``)."""
    budget: float | None = None
    """A budget the operator named (journeys have limits, not budgets: reported)."""
    forbidden: list[str] = Field(default_factory=list)
    """What the goal asks that the platform refuses (consent, caps, quiet hours...)."""
    questions: list[str] = Field(default_factory=list)
    """What must be asked before planning."""
    not_understood: list[str] = Field(default_factory=list)
    """Clauses nothing recognised (reported on the proposal)."""
    assumed: list[str] = Field(default_factory=list)
    """What the planner filled in from the playbook (said back)."""

    def explicit_sends(self) -> list[Step]:
        """The sends the operator named."""
        return [s for s in self.steps if s.kind == "send" and s.explicit]

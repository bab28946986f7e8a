"""Scenario schema of the eval suite (one YAML file per scenario; see evals/README.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from evals.journey_schema import JourneyRun
from userops.cdp.segments.spec import SegmentSpec


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Dataset(_Strict):
    """Population the scenario runs on: generator parameters or an import bundle."""

    users: int = Field(default=2000, ge=100, le=20000)
    """Generated population size."""
    seed: int = 7
    """Generator seed."""
    language: Literal["zh", "en"] = "zh"
    """Population language."""
    bundle: str | None = None
    """Directory (relative to the scenario file) with users/events/consents CSV or JSONL
    imported on top of the generated population."""
    feedback: list[str] = Field(default_factory=list)
    """Extra feedback texts (untrusted, e.g. prompt injection) added to existing users."""


class Decision(_Strict):
    """One scripted approver action at one gate."""

    decision: Literal["approve", "reject", "edit", "none"]
    """``none`` leaves the request undecided (the thread waits forever)."""
    reason: str = "eval"
    """Message of the decision (the reason of a rejection)."""
    plan: dict[str, Any] = Field(default_factory=dict)
    """For ``edit``: plan-level fields to overwrite (e.g. ``{"budget": 200}``)."""
    step: dict[str, Any] = Field(default_factory=dict)
    """For ``edit``: step-level fields to overwrite on every step (e.g. holdout_share)."""


class Actors(_Strict):
    """The people around the loop."""

    operator: list[str] = Field(default_factory=list)
    """Answers to clarifying questions, in order."""
    approver: list[Decision] = Field(default_factory=lambda: [Decision(decision="approve")])
    """Decisions for successive gates; after the list, ``then`` applies."""
    then: Literal["approve", "none"] = "none"
    """What the approver does at gates beyond the script."""
    followups: list[str] = Field(default_factory=list)
    """New goals on the same thread after the first campaign finished (iteration)."""


class Bounds(_Strict):
    """Inclusive integer bounds."""

    min: int | None = None
    """Lower bound."""
    max: int | None = None
    """Upper bound."""


class ChannelExpect(_Strict):
    """Channel restrictions on every message sent."""

    only: list[str] = Field(default_factory=list)
    """Sends only on these channels (empty: any)."""
    never: list[str] = Field(default_factory=list)
    """Never these channels."""


class Window(_Strict):
    """Quiet window in each user's local time: nothing may be sent in ``[start, end)``."""

    start: str = "21:00"
    """First quiet minute, ``HH:MM``."""
    end: str = "09:00"
    """First allowed minute, ``HH:MM``."""


class FallbackExpect(_Strict):
    """The goal's channel order: first sends on ``first``, the fallback on ``channel``."""

    first: list[str] = Field(default_factory=list)
    """Channels of the first sends (empty: any)."""
    channel: str
    """The fallback channel: every fallback message goes out on it."""
    after_hours: float | None = None
    """Each fallback goes out at least this long after the user's first message."""
    min_sent: int = 0
    """At least this many fallback messages must go out."""


class Expect(_Strict):
    """What must be true of the store after the scenario (always: no violations)."""

    clarification: bool = False
    """The loop must ask a question before planning."""
    refusal: bool = False
    """The goal asks for something forbidden: refused (or neutralized) with an explanation."""
    audience: SegmentSpec | None = None
    """Every recipient must satisfy this segment."""
    audience_size: Bounds | None = None
    """Bounds on the main step's audience (treatment + holdout)."""
    channels: ChannelExpect | None = None
    """Channel restrictions."""
    budget_max: float | None = None
    """Total cost of sent messages must not exceed this."""
    quiet_hours: Window | None = None
    """Extra quiet window (the policy's quiet hours are always checked)."""
    language: Literal["zh", "en", "recipient"] | None = None
    """Language of every sent message's content; ``recipient``: each recipient's own."""
    fallback: FallbackExpect | None = None
    """Channel order and fallback (first channels, fallback channel, the wait)."""
    approval_required: bool = True
    """Every send follows a person's approval of its step."""
    min_uplift: float | None = None
    """Minimum treatment − holdout uplift of the main step's KPI."""
    sends: Literal["some", "none", "any"] = "any"
    """Whether messages must (or must not) go out."""
    content_excludes: list[str] = Field(default_factory=list)
    """Strings that must not appear in any sent message (injection payloads, phone numbers)."""
    campaigns: Bounds | None = None
    """Bounds on the number of campaigns with sends (follow-up iterations)."""


class Scenario(_Strict):
    """One eval scenario."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{2,63}$")
    """Unique id (lowercase, digits, ``_``, ``-``)."""
    goal: str = Field(min_length=3)
    """The operator's words."""
    language: Literal["zh", "en"]
    """The operator's language."""
    objective: str = "none"
    """Objective this scenario covers (reporting only)."""
    tags: list[str] = Field(default_factory=list)
    """Free tags (reporting only)."""
    dataset: Dataset = Field(default_factory=Dataset)
    """Population."""
    actors: Actors = Field(default_factory=Actors)
    """Operator answers and approver script."""
    expect: Expect = Field(default_factory=Expect)
    """Expectations checked by the graders."""
    journey: JourneyRun | None = None
    """Journey mode: the goal becomes a journey run on an injected clock
    (:mod:`evals.journey_run`); ``expect`` is then unused."""

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.expect.refusal and self.expect.sends == "some":
            raise ValueError("expect.refusal with expect.sends=some is contradictory")
        return self

"""Scenario schema of journey evals: the goal becomes a journey, users act, the worker runs.

A scenario with ``journey:`` is run in journey mode (:mod:`evals.journey_run`): the goal is
proposed (``userops journeys propose``), events happen before the approval (``early`` users,
who must never enter), the approver approves, ``entrants`` do the trigger, ``converters``
among them do the goal event ``convert_after_hours`` later, and the worker runs on an
injected clock for ``run_hours``. The graders (:mod:`evals.graders.journey`) read the store.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JourneyExpect(_Strict):
    """What the store must show after a journey scenario.

    Always checked besides: 0 policy violations and 0 sends before approval.
    """

    trigger: dict[str, Any]
    """Keys the spec's trigger must have (``{"kind": "event", "event": "Signed Up"}``)."""
    waits_hours: list[float] = Field(default_factory=list)
    """Durations (hours) the spec must hold: waits or wait-for-event timeouts."""
    first_send_after_hours: float = 0
    """No entrant gets a message sooner than this after doing the trigger."""
    at_local: str | None = None
    """No first message before this local time of day (``HH:MM``, each user's zone): an
    anniversary's ``at`` or a ``wait`` ``until``."""
    goal_event: str | None = None
    """The goal event; converters must exit on it and get nothing after it."""
    channels: list[str] = Field(default_factory=list)
    """Every message goes out on one of these (empty: any)."""
    min_sent: int = 1
    """At least this many messages are sent."""


class JourneyRun(_Strict):
    """How a journey scenario plays out."""

    start: str | None = None
    """The clock when the goal is proposed (ISO 8601; None: the hour after the store's newest
    event or consent, so the history is in the past); approval comes an hour later."""
    entrants: int = Field(default=30, ge=1, le=2000)
    """Users who do the trigger after the approval."""
    early: int = Field(default=10, ge=0, le=2000)
    """Users who do the trigger before the approval (they must never enter)."""
    converters: int = Field(default=10, ge=0, le=2000)
    """Entrants who do the goal event ``convert_after_hours`` after their trigger."""
    convert_after_hours: float = Field(default=2, gt=0)
    """When converters do the goal event."""
    run_hours: float = Field(default=120, gt=0, le=24 * 400)
    """How long the worker runs after the approval (injected clock)."""
    step_minutes: int = Field(default=30, ge=1, le=1440)
    """Clock step of the worker."""
    from_stage: str = "mature"
    """Lifecycle journeys: the stage users leave (``lifecycle_stage_changed.from``)."""
    expect: JourneyExpect
    """What the store must show."""

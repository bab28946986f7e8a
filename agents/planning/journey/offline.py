"""The offline journey planner: the deterministic reading of the goal and the playbooks."""

from __future__ import annotations

from typing import Protocol

from agents.planning.journey.build import build_spec
from agents.planning.journey.intent import JourneyIntent
from agents.schema import Finding
from userops.journeys.spec import JourneySpec


class JourneyPlanner(Protocol):
    """Turns a journey goal (and the evaluator's findings) into a spec and notes."""

    def plan(self, intent: JourneyIntent, feedback: list[Finding]) -> tuple[JourneySpec, list[str]]:
        """The spec for ``intent`` and what was filled in (said back)."""
        ...


class OfflineJourneyPlanner:
    """Builds the spec from the goal's own steps, else the playbook's (no model)."""

    llm_calls = 0

    def plan(self, intent: JourneyIntent, feedback: list[Finding]) -> tuple[JourneySpec, list[str]]:
        """The spec for ``intent`` (the same for the same goal; feedback changes nothing)."""
        return build_spec(intent)

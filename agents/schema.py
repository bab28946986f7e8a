"""What the agents exchange about a plan: findings, verdicts, planner protocols.

The plan itself is :mod:`userops.plan`.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from userops.dispatch.models import PreflightReport
from userops.plan import CampaignPlan, Goal


class Finding(BaseModel):
    """One evaluator finding."""

    check: str
    """Which check produced it (``policy``, ``budget``, ``audience``, ``language``...)."""
    severity: Literal["info", "warn", "error", "block"]
    """``error`` asks for a revision; ``block`` stops the plan."""
    message: str
    """What is wrong, in the operator's language."""
    detail: dict[str, Any] = Field(default_factory=dict)
    """Machine-readable detail (counts, offending variant ids...)."""


class JudgeScores(BaseModel):
    """LLM judge scores, 1–5 (only when a model is configured)."""

    relevance: int = Field(ge=1, le=5)
    """How well the plan serves the goal."""
    personalization: int = Field(ge=1, le=5)
    """How well content fits each persona."""
    tone: int = Field(ge=1, le=5)
    """Brand-appropriate, respectful tone."""
    comment: str = ""
    """One-sentence justification."""


class Verdict(BaseModel):
    """The evaluator's decision on a plan revision."""

    verdict: Literal["pass", "revise", "block"]
    """Pass to approval, send back to the planner, or stop."""
    findings: list[Finding] = Field(default_factory=list)
    """Everything the evaluator noticed."""
    scores: JudgeScores | None = None
    """LLM judge scores when a model is configured."""
    preflight: PreflightReport | None = None
    """The dispatch pre-flight the verdict was based on."""


class Planner(Protocol):
    """Turns a goal (and the evaluator's or approver's feedback) into a plan."""

    def plan(
        self, goal: Goal, feedback: list[Finding], previous: CampaignPlan | None
    ) -> CampaignPlan:
        """Return a new plan revision for ``goal`` that addresses ``feedback``."""
        ...


class Evaluator(Protocol):
    """Checks a plan before it goes to a person."""

    def evaluate(self, goal: Goal, plan: CampaignPlan) -> Verdict:
        """Return the verdict on ``plan``."""
        ...

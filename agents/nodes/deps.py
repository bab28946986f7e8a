"""What the loop's nodes call: planner, evaluator, goal parsing, dispatch tools, policy.

The graph's LangGraph runtime context (``StateGraph(..., context_schema=LoopDeps)``): every
run passes one, ``graph.invoke(input, config, context=deps)``, and the nodes read it from
their ``runtime`` argument (:func:`agents.nodes.wiring.deps_of`). Everything is injected so
that tests (and the eval runner) can swap any part; the defaults
(:func:`agents.nodes.wiring.default_deps`) wire the offline playbook planner and the sandbox
delivery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from agents.schema import Evaluator, Planner
from userops.dispatch.models import DispatchStep, PreflightReport
from userops.dispatch.policy import Policy
from userops.plan import CampaignPlan, Goal, PlanStep

GoalParser = Callable[[str, "str | None"], Goal]
"""``(text, language) -> Goal``."""
Clarifier = Callable[[Goal], str]
"""``goal -> question`` asked when the objective is missing."""
StepBuilder = Callable[[Engine, CampaignPlan, PlanStep, str], DispatchStep]
"""``(engine, plan, step, campaign_id) -> DispatchStep`` (deterministic)."""
Preflight = Callable[[Engine, DispatchStep], PreflightReport]
"""Dispatch pre-flight (writes nothing)."""
Deliver = Callable[[Engine, list[DispatchStep]], dict[str, Any]]
"""Enqueue (idempotent) and deliver; returns ``{"sent", "deferred", "suppressed", "cost"}``."""


@dataclass
class LoopDeps:
    """Dependencies of the loop graph."""

    engine: Engine
    """The store."""
    planner: Planner
    """Turns goal + feedback into a plan revision."""
    evaluator: Evaluator
    """Checks a plan before a person sees it."""
    parse_goal: GoalParser
    """Goal understanding."""
    clarify: Clarifier
    """Question for an ambiguous goal."""
    build_step: StepBuilder
    """Plan step → dispatch step."""
    preflight: Preflight
    """Pre-flight of a dispatch step."""
    deliver: Deliver
    """Delivery (the sandbox in the embedded demo)."""
    policy: Policy | None = None
    """The run's dispatch policy, loaded once (:func:`~agents.nodes.wiring.default_deps`) and
    shared by the tools, the evaluator and the delivery; None: a test's own doubles."""
    max_rounds: int = 3
    """Evaluate ⟲ plan rounds before escalating to the approver with the findings."""
    allow_self_approval: bool = False
    """Policy: the requester may approve their own campaign."""
    auto_approve_tiers: frozenset[str] = frozenset()
    """Policy: risk tiers approved without a person (off by default)."""
    blast_share: float = 0.0
    """Share of treatment sent one-size-fits-all content (a measured baseline arm)."""
    max_followups: int = 1
    """Follow-up steps the loop may propose after measuring."""
    measure_window_s: int = 7 * 86400
    """Measurement window after assignment."""
    remember: Callable[[str, str | None, str, str], None] | None = None
    """Store a lesson ``(text, objective, language, campaign_id)`` where the planner finds it
    (the lesson memory); None: the lessons table only."""
    propose_journey: Callable[[str, str], dict[str, Any]] | None = None
    """``(goal, actor) -> proposal``: an always-on goal becomes a journey awaiting approval
    (:func:`agents.planning.journey.propose.propose_journey`); None: journey goals are
    planned as campaigns."""
    llm_calls: Callable[[], int] = field(default=lambda: 0)
    """Counter of LLM calls made by planner/evaluator (0 offline)."""

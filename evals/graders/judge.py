"""LLM judge (relevance, personalization, tone) — runs only when a model is configured."""

from __future__ import annotations

from typing import Any

from evals.graders import Check
from userops.settings import Settings

MIN_SCORE = 3
"""Each judge score must be at least this (1–5)."""


def judge_plan(
    settings: Settings, goal: dict[str, Any], plan: dict[str, Any] | None
) -> Check | None:
    """Score the final plan with the LLM judge; None offline (no model) or without a plan."""
    if not settings.llm_configured or not plan or not goal:
        return None
    from agents.evaluation.judge import LLMJudge
    from userops.llm import chat_model
    from userops.plan import CampaignPlan, Goal

    model = chat_model(settings, temperature=0.0)
    if model is None:
        return None
    scores = LLMJudge(model).score(Goal.model_validate(goal), CampaignPlan.model_validate(plan))
    low = [k for k in ("relevance", "personalization", "tone") if getattr(scores, k) < MIN_SCORE]
    return Check(
        "judge",
        not low,
        f"scores {scores.relevance}/{scores.personalization}/{scores.tone}: {scores.comment}",
        detail=scores.model_dump(mode="json"),
    )

"""The journey planner and evaluator a run uses: the LLM planner when a model is configured."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from agents.evaluation.journey import JourneyEvaluator, default_forecaster
from agents.planning.journey.offline import JourneyPlanner, OfflineJourneyPlanner
from agents.planning.journey.propose import propose_journey
from userops.dispatch.policy import Policy
from userops.settings import Settings, get_settings


def journey_planner(settings: Settings) -> JourneyPlanner:
    """The LLM journey planner when a chat model is configured, else the offline one."""
    if settings.llm_configured:
        from agents.planning.journey.llm import LLMJourneyPlanner
        from userops.llm import chat_model

        model = chat_model(settings)
        if model is not None:
            return LLMJourneyPlanner(model)
    return OfflineJourneyPlanner()


def propose(
    engine: Engine,
    goal: str,
    *,
    actor: str,
    settings: Settings | None = None,
    policy: Policy | None = None,
    now_ts: int | None = None,
) -> dict[str, Any]:
    """:func:`propose_journey` with the configured planner, the policy and the forecast."""
    s = settings or get_settings()
    pol = policy or Policy.load(s.policy_file)
    evaluator = JourneyEvaluator(engine, pol, forecaster=default_forecaster(), now_ts=now_ts)
    return propose_journey(
        engine, goal, actor=actor, planner=journey_planner(s), evaluator=evaluator
    )

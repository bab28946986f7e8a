"""The LLM judge: scores a plan's relevance, personalization and tone (structured output)."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

from agents.goal_parser import describe_goal
from agents.providers import structured
from agents.schema import CampaignPlan, Goal, JudgeScores
from prompts.loader import render_prompt


def plan_digest(plan: CampaignPlan) -> str:
    """A compact, contact-free description of a plan for prompts."""
    lines = [f"name={plan.name} objective={plan.objective.value} language={plan.language}"]
    for s in plan.steps:
        lines.append(
            f"step {s.step_id}: segment={s.segment.dump()} channels={s.channel_rule.preferred} "
            f"personas={s.personas} holdout={s.holdout_share}"
        )
        for v in s.variants:
            text = " / ".join(p for p in (v.subject, v.title, v.body) if p)
            lines.append(f"  [{v.variant_id}] {text[:200]}")
    return "\n".join(lines)


class LLMJudge:
    """Scores plans with a chat model; one call per evaluation."""

    def __init__(self, model: BaseChatModel) -> None:
        self.model = model
        self.calls = 0

    def score(self, goal: Goal, plan: CampaignPlan) -> JudgeScores:
        """Return the judge's scores for ``plan`` against ``goal``."""
        prompt = render_prompt(
            "judge", goal.language, goal=describe_goal(goal), plan=plan_digest(plan)
        )
        self.calls += 1
        out: Any = structured(self.model, JudgeScores).invoke([HumanMessage(prompt)])
        return out if isinstance(out, JudgeScores) else JudgeScores.model_validate(out)

"""The LLM judge: scores a plan's relevance, personalization and tone (structured output)."""

from __future__ import annotations

from typing import Any

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage
from pydantic import ValidationError

from agents.goal.parser import describe_goal
from agents.schema import JudgeScores
from prompts.loader import render_prompt
from userops.errors import ModelUnavailable
from userops.llm import invoke_model, structured
from userops.plan import CampaignPlan, Goal


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
    """Scores plans with a chat model; one call per evaluation (two if the first is unreadable)."""

    def __init__(self, model: BaseChatModel) -> None:
        self.model = model
        self.calls = 0

    def score(self, goal: Goal, plan: CampaignPlan) -> JudgeScores:
        """Return the judge's scores for ``plan`` against ``goal``.

        Raises:
            ModelUnavailable: no answer after the SDK's retries, or two unreadable answers.
        """
        prompt = render_prompt(  # both fenced: the plan holds model-written text
            "judge", goal.language, goal=describe_goal(goal), plan=plan_digest(plan)
        )
        runnable = structured(self.model, JudgeScores)
        convo: list[BaseMessage] = [HumanMessage(prompt)]
        error = ""
        for _attempt in range(2):
            self.calls += 1
            out: Any = invoke_model(runnable, convo, what="judge request")
            try:
                return out if isinstance(out, JudgeScores) else JudgeScores.model_validate(out)
            except (ValidationError, OutputParserException) as exc:
                error = " ".join(str(exc).split())[:160]
                convo.append(HumanMessage(f"error: the scores could not be read: {error}"))
        raise ModelUnavailable(
            f"the judge gave no readable scores twice ({error}); the plan was not shown to"
            " an approver: run the thread again"
        )

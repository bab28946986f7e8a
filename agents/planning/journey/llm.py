"""The LLM journey planner: the model answers with a ``JourneySpec`` (structured output).

The prompt gives the goal (fenced, untrusted), its deterministic reading and the offline
planner's spec as a reference; the model answers through function calling with the same
:class:`~userops.journeys.spec.JourneySpec` the offline planner builds. The answer is
validated like a spec file (:func:`userops.journeys.parse.parse_journey`: shape and meaning,
every problem with its JSON path); a refused answer raises ``BadInput`` and the evaluator's
loop (:func:`agents.planning.journey.propose.plan_journey`) sends the problems back for the
next round, then falls back to the offline planner. The evaluator checks the model's spec
against the goal item by item, as it checks the offline planner's.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from pydantic import ValidationError

from agents.planning.journey.build import build_spec
from agents.planning.journey.intent import JourneyIntent
from agents.schema import Finding
from prompts.fence import Trusted
from prompts.loader import render_prompt
from userops.errors import BadInput
from userops.journeys.parse import parse_journey
from userops.journeys.spec import JourneySpec
from userops.llm import invoke_model, structured


class LLMJourneyPlanner:
    """Implements :class:`~agents.planning.journey.offline.JourneyPlanner` with a chat model."""

    def __init__(self, model: BaseChatModel) -> None:
        self.model = model
        self.llm_calls = 0
        """Model calls made so far."""

    def plan(self, intent: JourneyIntent, feedback: list[Finding]) -> tuple[JourneySpec, list[str]]:
        """The model's spec for ``intent`` (BadInput when it is refused, with the paths)."""
        reference, notes = "-", list[str]()
        if intent.trigger is not None:
            ref, notes = build_spec(intent)
            reference = json.dumps(ref.dump(), ensure_ascii=False)
        reading = intent.model_dump(
            mode="json", exclude={"text", "assumed", "questions"}, exclude_defaults=True
        )
        ask = render_prompt(
            "journey_planner",
            intent.language,
            goal=intent.text,
            reading=Trusted(json.dumps(reading, ensure_ascii=False)),
            reference=Trusted(reference),
            feedback="; ".join(f"[{f.check}] {f.message}" for f in feedback) or "-",
        )
        self.llm_calls += 1
        try:
            raw: Any = invoke_model(
                structured(self.model, JourneySpec), [HumanMessage(ask)], what="journey spec"
            )
        except (ValidationError, OutputParserException) as exc:
            raise BadInput.one(f"the model's spec could not be read: {exc}"[:500]) from None
        data = raw.dump() if isinstance(raw, JourneySpec) else raw
        return parse_journey(data, source="model"), notes

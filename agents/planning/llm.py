"""The LLM planner: a bounded tool-calling loop, a structured plan draft, generated content.

1. The model looks at the data with tools (trait catalog, population, segment preview, profile
   search, past lessons) for at most ``max_steps`` calls or ``max_tokens`` tokens.
2. It answers with a :class:`PlanDraft` (function calling); an invalid segment is sent back once
   with the located error, then the goal's audience is used.
3. Content is generated per persona × channel (:mod:`tools.content_llm`).
4. The draft is bounded by the goal: the audience is the goal's audience AND the draft's;
   channels obey the allowed/forbidden lists and the goal's order and fallback wait; copy
   that breaks a content exclusion becomes the template's; recipients of another language
   get copy in theirs; the holdout is at least 5%; caps and budget apply. Nothing the model
   writes can widen the audience or bypass a constraint, and the evaluator checks the result
   as it checks the offline planner's.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic import ValidationError

from agents.goal.parser import describe_goal
from agents.planning import playbooks as pb
from agents.planning.common import cap_segment, personas_of
from agents.planning.draft import PlanDraft, bounded_segment, bounded_variants, hard_constraints
from agents.schema import Finding
from prompts.fence import Trusted
from prompts.loader import render_prompt
from tools.content_llm import generate_variants
from tools.context import ToolContext
from tools.registry import make_tools
from tools.segments import audience_stats
from userops.cdp.segments.spec import SegmentSpec
from userops.domain import CHANNELS
from userops.errors import BadInput, UsageError
from userops.llm import chat_model, invoke_model, structured
from userops.plan import CampaignPlan, Goal, Objective, PlanStep
from userops.privacy import redact


class LLMPlanner:
    """Implements :class:`agents.schema.Planner` with a chat model."""

    def __init__(
        self,
        ctx: ToolContext,
        model: BaseChatModel | None = None,
        *,
        max_steps: int = 6,
        max_tokens: int = 30_000,
    ) -> None:
        if model is None:
            model = chat_model(ctx.settings)
        if model is None:
            raise UsageError("no chat model configured (USEROPS_LLM_MODEL); use OfflinePlanner")
        self.ctx, self.model = ctx, model
        self.max_steps, self.max_tokens = max_steps, max_tokens
        self.llm_calls = 0
        """Model calls made so far (tool loop, plan draft, content)."""

    def plan(
        self, goal: Goal, feedback: list[Finding], previous: CampaignPlan | None
    ) -> CampaignPlan:
        """Return a new plan revision for ``goal`` that addresses ``feedback``."""
        objective = goal.objective
        if objective is None:
            raise UsageError("the goal has no objective: ask the operator first")
        lang = goal.language
        messages: list[BaseMessage] = [
            SystemMessage(render_prompt("planner_system", lang)),
            HumanMessage(self._task(goal, feedback, previous)),
        ]
        self._explore(messages)
        draft, spec = self._draft(goal, messages)
        return self._assemble(goal, objective, draft, spec, feedback, previous)

    def _task(self, goal: Goal, feedback: list[Finding], previous: CampaignPlan | None) -> str:
        prev = "-"
        if previous is not None:
            s = previous.steps[0]
            prev = json.dumps(
                {"segment": s.segment.dump(), "channels": s.channel_rule.preferred},
                ensure_ascii=False,
            )
        return render_prompt(
            "planner_task",
            goal.language,
            goal=redact(goal.text),
            understood=describe_goal(goal),
            hard=Trusted(hard_constraints(goal)),
            audience=json.dumps(goal.audience.dump(), ensure_ascii=False),
            forbidden="; ".join(goal.forbidden) or "-",
            feedback="; ".join(f"[{f.check}/{f.severity}] {f.message}" for f in feedback) or "-",
            revision=Trusted(previous.revision if previous else "-"),
            previous=prev,
        )

    def _explore(self, messages: list[BaseMessage]) -> None:
        tools = make_tools(self.ctx)
        by_name = {t.name: t for t in tools}
        bound = self.model.bind_tools(tools)
        used = 0
        for _ in range(self.max_steps):
            ai = invoke_model(bound, messages, what="planner's tool loop")
            self.llm_calls += 1
            if not isinstance(ai, AIMessage):
                raise UsageError(f"the planner's chat model answered {type(ai).__name__}")
            messages.append(ai)
            used += _tokens(ai, messages)
            if not ai.tool_calls and not ai.invalid_tool_calls:
                return
            for call in ai.tool_calls:
                messages.append(
                    ToolMessage(content=_run_tool(by_name, call), tool_call_id=call["id"] or "")
                )
            for bad in ai.invalid_tool_calls:  # malformed or truncated JSON: the model retries
                messages.append(ToolMessage(content=_bad_call(bad), tool_call_id=bad["id"] or ""))
            if used > self.max_tokens:
                return

    def _draft(
        self, goal: Goal, messages: list[BaseMessage]
    ) -> tuple[PlanDraft, SegmentSpec | None]:
        from userops.cdp.segments.service import parse_spec

        channels = ", ".join(pb.allowed_channels(list(CHANNELS), goal.constraints))
        ask = HumanMessage(
            render_prompt("planner_finalize", goal.language, channels=Trusted(channels))
        )
        runnable = structured(self.model, PlanDraft)
        convo = [*messages, ask]
        draft: PlanDraft | None = None
        for _attempt in range(2):
            self.llm_calls += 1
            try:
                raw: Any = invoke_model(runnable, convo, what="plan request")
                draft = raw if isinstance(raw, PlanDraft) else PlanDraft.model_validate(raw)
            except (ValidationError, OutputParserException) as exc:
                convo.append(HumanMessage(f"error: the plan could not be read: {exc}"))
                continue
            if not draft.segment:
                return draft, None
            try:
                return draft, parse_spec(draft.segment, source="plan.segment")
            except BadInput as exc:
                convo += [AIMessage(content=draft.model_dump_json()), HumanMessage(f"error: {exc}")]
        # Two unusable answers: keep the goal's audience and the playbook (said in the rationale).
        name = goal.objective.value if goal.objective else "plan"
        return draft or PlanDraft(name=name, rationale="model plan unreadable; playbook used"), None

    def _assemble(
        self,
        goal: Goal,
        objective: Objective,
        draft: PlanDraft,
        spec: SegmentSpec | None,
        feedback: list[Finding],
        previous: CampaignPlan | None,
    ) -> CampaignPlan:
        book = pb.playbook(objective)
        segment = bounded_segment(goal, spec)
        wanted = [c for c in draft.channels if c in CHANNELS] or list(book.channels)
        channels = pb.allowed_channels(wanted, goal.constraints) or pb.allowed_channels(
            book.channels, goal.constraints
        )
        order = goal.constraints.channel_order
        if order:  # the operator's order, not the model's
            channels = [c for c in order if c in pb.allowed_channels(order, goal.constraints)]
        if not channels:
            raise UsageError("no channel left after the goal's channel constraints")
        stats = audience_stats(self.ctx, self.ctx.segment_ids(segment))
        if not order:
            channels = [c for c in channels if stats.reachable.get(c, 0) > 0] or channels
        segment = cap_segment(goal, segment, channels, stats, feedback, previous)
        personas = personas_of(stats, goal.constraints.content_exclusions)
        langs = pb.copy_languages(goal, stats.languages)
        written = generate_variants(
            self.model,
            language=langs[0],
            objective=objective.value,
            goal_text=describe_goal(goal),
            personas=personas,
            channels=channels,
            knowledge=self._knowledge(goal, langs[0]),
            lessons=self._lessons(goal),
        )
        self.llm_calls += len(personas) * len(channels)
        key = pb.template_key(objective, [k for k in stats.lifecycle if k != "none"])
        variants = bounded_variants(goal, written, key, personas, channels, langs)
        rule = pb.channel_rule(goal, channels, personas, langs, {v.variant_id for v in variants})
        step = PlanStep(
            segment=segment,
            channel_rule=rule,
            personas=personas,
            variants=variants,
            holdout_share=max(draft.holdout_share, pb.MIN_HOLDOUT),
        )
        notes = [redact(draft.rationale)] + goal.forbidden
        return CampaignPlan(
            name=redact(draft.name) or objective.value,
            objective=objective,
            language=goal.language,
            steps=[step],
            budget=goal.constraints.budget,
            kpi=goal.kpi,
            rationale="\n".join(n for n in notes if n),
            revision=previous.revision + 1 if previous else 0,
        )

    def _knowledge(self, goal: Goal, language: str) -> str:
        """Brand and product passages in the copy's ``language``."""
        if self.ctx.knowledge is None or goal.objective is None:
            return ""
        query = f"{goal.objective.value} {describe_goal(goal)}"
        return "\n".join(self.ctx.knowledge.retrieve(query, language, k=3))

    def _lessons(self, goal: Goal) -> str:
        if self.ctx.memory is None or goal.objective is None:
            return ""
        hits = self.ctx.memory.search(goal.objective.value, k=3, objective=goal.objective.value)
        return "\n".join(h.text for h in hits)


def _run_tool(by_name: dict[str, Any], call: Any) -> str:
    tool = by_name.get(call["name"])
    if tool is None:
        return f"error: unknown tool {call['name']!r}; known: {', '.join(sorted(by_name))}"
    try:
        return str(tool.invoke(call["args"]))
    except (ValueError, BadInput) as exc:
        return f"error: {exc}"


def _bad_call(call: Any) -> str:
    args = str(call.get("args") or "")[:200]
    return (
        f"error: the arguments of {call.get('name')!r} are not valid JSON ({args!r});"
        " call the tool again with one complete JSON object"
    )


def _tokens(ai: AIMessage, messages: list[BaseMessage]) -> int:
    usage = ai.usage_metadata
    if usage:
        return int(usage.get("total_tokens", 0))
    return sum(len(str(m.content)) for m in messages) // 4

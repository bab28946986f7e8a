"""Intake, clarify, plan and evaluate: from the operator's words to a plan worth approving."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.config import get_config
from langgraph.runtime import Runtime
from langgraph.types import Command

from agents.goal.journey_intent import is_journey_goal
from agents.goal.text import objective_name
from agents.nodes.decider import requester
from agents.nodes.deps import LoopDeps
from agents.nodes.records import campaign_id_for, ensure_campaign, set_campaign
from agents.nodes.revision import approver_reason, fold_reason, revision_finding
from agents.nodes.text import say
from agents.nodes.wiring import deps_of
from agents.planning.edits import carry, narrowed_goal, superseded
from agents.schema import Finding, Verdict
from agents.state import LoopState, initial_fields
from agents.state_view import view
from prompts.catalog import say as catalog_say
from userops.plan import CampaignPlan, Goal


def _text(message: Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    return str(content)


def _lang(state: LoopState) -> str:
    return view(state).language or "zh"


FOLLOWS_ON = ("completed", "blocked")
"""Statuses after which a new message in the thread is a follow-up of the previous goal."""


def inherit_objective(goal: Goal, state: LoopState) -> Goal:
    """Give a follow-up with no objective word the objective of the thread's previous goal.

    A follow-up is a new message in a thread whose previous campaign was planned to the end
    (status in :data:`FOLLOWS_ON`), not an answer to a clarifying question, that says
    something about the campaign (audience, constraint or KPI). The inherited
    objective is listed in ``goal.assumed`` so the operator sees it said back.
    """
    prev = view(state).goal
    objective = prev.get("objective")
    if goal.objective is not None or not objective or state.get("status") not in FOLLOWS_ON:
        return goal
    if goal.forbidden or not _says_something(goal):
        return goal
    inherited = Goal.model_validate({**goal.model_dump(mode="json"), "objective": objective})
    name = objective_name(str(objective), goal.language)
    note = catalog_say("goal.objective_carried", goal.language, name=name)
    return inherited.model_copy(update={"assumed": [*goal.assumed, note]})


def answered(goal: Goal, state: LoopState) -> Goal:
    """Drop the questions the operator was already asked (their answer follows the goal).

    The answer is appended to the goal and parsed again: words it could not use are still
    there, and asking about them again would loop. They are said back as assumed instead.
    """
    prev = view(state).goal.get("questions") or []
    asked = {str(q.get("words")) for q in prev if isinstance(q, dict)}
    kept = [q for q in goal.questions if q.words not in asked]
    if len(kept) == len(goal.questions):
        return goal
    left = "; ".join(f"“{q.words}”" for q in goal.questions if q.words in asked)
    note = catalog_say("goal.already_asked", goal.language, left=left)
    return goal.model_copy(update={"questions": kept, "assumed": [*goal.assumed, note]})


def _says_something(goal: Goal) -> bool:
    """Whether the words set any audience, constraint or KPI (``hello`` does not: ask)."""
    a, c = goal.audience, goal.constraints
    return bool(
        a.all_ or a.any_ or a.none or a.search or c.model_dump(exclude_defaults=True)
    ) or bool(goal.kpi.target_uplift or goal.kpi.metric != "conversion_rate")


def intake(
    state: LoopState, runtime: Runtime[LoopDeps]
) -> Command[Literal["journey", "clarify", "plan", "__end__"]]:
    """Read the newest human message, parse the goal, open a campaign.

    An always-on goal (a flow that reacts to each user) goes to ``journey`` instead.
    """
    config = get_config()
    deps = deps_of(runtime)
    humans = [m for m in state.get("messages", []) if isinstance(m, HumanMessage)]
    text = _text(humans[-1]) if humans else ""
    if state.get("status") == "needs_clarification" and state.get("goal_text"):
        text = f"{state['goal_text']}\n{text}"
    if deps.propose_journey is not None and is_journey_goal(text):
        actor = requester(config.get("configurable") or {})
        fields = {**initial_fields(), "goal_text": text, "requested_by": actor}
        return Command(update={**fields, "goal": None, "status": "planning"}, goto="journey")
    goal = deps.parse_goal(text, None)
    if state.get("status") == "needs_clarification":
        goal = answered(goal, state)
    goal = inherit_objective(goal, state)
    thread_id = str((config.get("configurable") or {}).get("thread_id", "local"))
    campaign_id = campaign_id_for(thread_id, len(humans))
    actor = requester(config.get("configurable") or {})
    update: dict[str, Any] = {
        **initial_fields(),
        "goal_text": text,
        "goal": goal.model_dump(mode="json"),
        "requested_by": actor,
        "campaign_id": campaign_id,
        "blast_share": deps.blast_share,
        "status": "planning",
    }
    if goal.forbidden:
        msg = say("refused", goal.language, items="; ".join(goal.forbidden))
        return Command(update={**update, "status": "refused", "messages": [msg]}, goto="__end__")
    if goal.objective is None or goal.questions:
        return Command(update=update, goto="clarify")
    ensure_campaign(
        deps.engine,
        campaign_id,
        thread_id=thread_id,
        goal=update["goal"],
        requested_by=actor,
    )
    msgs = []
    if goal.assumed:
        msgs.append(say("assumed", goal.language, items="; ".join(goal.assumed)))
    if goal.not_understood:
        items = "; ".join(goal.not_understood)
        msgs.append(say("not_understood", goal.language, items=items))
    return Command(update={**update, "messages": msgs}, goto="plan")


def clarify(state: LoopState, runtime: Runtime[LoopDeps]) -> Command[Literal["__end__"]]:
    """Ask the operator; their next message continues the goal."""
    goal = Goal.model_validate(state["goal"])
    question = deps_of(runtime).clarify(goal)
    return Command(
        update={
            "status": "needs_clarification",
            "messages": [AIMessage(content=question, name="userops")],
        },
        goto="__end__",
    )


def plan(state: LoopState, runtime: Runtime[LoopDeps]) -> Command[Literal["evaluate"]]:
    """Make a new plan revision addressing the feedback."""
    deps = deps_of(runtime)
    goal = Goal.model_validate(state["goal"])
    feedback = [Finding.model_validate(f) for f in view(state).feedback]
    prev = state.get("plan")
    previous = CampaignPlan.model_validate(prev) if prev else None
    folded: dict[str, Any] = {}
    edits = dict(state.get("approver_edits") or {})
    reason = approver_reason(feedback)
    if reason is not None:  # the approver's words become constraints, as the goal's are
        rejected = view(state).revision
        shown = view(state).verdict.get("preflight")
        before = goal
        goal, request = fold_reason(goal, reason, state.get("card"), rejected, shown)
        edits = superseded(edits, before, goal, request["asks"])
        folded = {"goal": goal.model_dump(mode="json"), "revision_request": request}
    if edits:  # an approver's edit is kept: the revision starts from it, not from the goal
        goal = narrowed_goal(goal, edits)
        folded["goal"] = goal.model_dump(mode="json")
    new = deps.planner.plan(goal, feedback, previous)
    new = carry(new, goal, edits) if edits else new
    revision = view(state).revision + 1
    new = new.model_copy(update={"revision": revision})
    dump = new.model_dump(mode="json")
    set_campaign(
        deps.engine,
        view(state).campaign_id,
        actor="planner",
        action="plan.revision",
        plan=dump,
        revision=revision,
        status="planning",
    )
    return Command(
        update={
            **folded,
            "plan": dump,
            "revision": revision,
            "feedback": [],
            "approver_edits": edits or None,
            "edited_by": state.get("edited_by") if edits else None,
            "status": "planning",
        },
        goto="evaluate",
    )


def evaluate(
    state: LoopState, runtime: Runtime[LoopDeps]
) -> Command[Literal["plan", "prepare_approval", "__end__"]]:
    """Check the plan: pass → approval; revise → plan (bounded); block → stop."""
    deps = deps_of(runtime)
    goal = Goal.model_validate(state["goal"])
    plan = CampaignPlan.model_validate(state["plan"])
    verdict: Verdict = deps.evaluator.evaluate(goal, plan)
    rnd = view(state).round + 1
    update: dict[str, Any] = {"verdict": verdict.model_dump(mode="json"), "round": rnd}
    lang = goal.language
    problems = [f for f in verdict.findings if f.severity in ("error", "block")]
    items = "; ".join(f.message for f in problems) or "-"
    if verdict.verdict == "block":
        set_campaign(
            deps.engine,
            view(state).campaign_id,
            actor="evaluator",
            action="blocked",
            status="blocked",
        )
        msg = say("blocked", lang, items=items)
        return Command(update={**update, "status": "blocked", "messages": [msg]}, goto="__end__")
    if verdict.verdict == "revise" and rnd < deps.max_rounds:
        fb = [f.model_dump(mode="json") for f in problems or verdict.findings]
        msg = say("revise", lang, round=rnd, items=items)
        return Command(update={**update, "feedback": fb, "messages": [msg]}, goto="plan")
    msgs = [say("escalate", lang, round=rnd)] if verdict.verdict == "revise" else []
    update["escalated"] = verdict.verdict == "revise"
    request = state.get("revision_request")
    if request:  # say how this revision answers the approver, on the card and here
        pre = verdict.preflight.model_dump() if verdict.preflight else None
        note = revision_finding(goal, request, view(state).plan, pre)
        update["verdict"]["findings"] = [*update["verdict"]["findings"], note.model_dump()]
        update["revision_request"] = None
        msgs.append(AIMessage(content=note.message, name="userops"))
    return Command(update={**update, "messages": msgs}, goto="prepare_approval")

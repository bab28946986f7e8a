"""The loop's ``journey`` node: an always-on goal becomes a journey proposal, not a campaign.

``intake`` sends a goal here when it asks for a flow that reacts to each user
(:func:`agents.goal.journey_intent.is_journey_goal`: *after sign-up*, *abandoned cart*,
*birthday*, ``每当``...). The node runs the journey planner and evaluator
(:attr:`~agents.nodes.deps.LoopDeps.propose_journey`) and stores the journey's version 1
awaiting approval; it sends nothing. The thread ends with status ``journey_proposed`` (the
journey's id, version and approval id in ``journey``), ``needs_clarification`` (the
operator's answer continues the goal), ``refused`` or ``blocked``.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import AIMessage
from langgraph.config import get_config
from langgraph.runtime import Runtime
from langgraph.types import Command

from agents.nodes.decider import requester
from agents.nodes.deps import LoopDeps
from agents.nodes.wiring import deps_of
from agents.state import LoopState

STATUS = {
    "awaiting_approval": "journey_proposed",
    "needs_clarification": "needs_clarification",
    "refused": "refused",
    "blocked": "blocked",
}
"""Thread status for each outcome of a proposal."""


def _lines(res: dict[str, Any]) -> list[str]:
    out = [str(res["message"])] if res.get("message") else []
    out += [str(q) for q in res.get("questions") or []]
    out += [f"- {a}" for a in res.get("assumed") or []]
    out += [
        f"[{f['check']}/{f['severity']}] {f['message']}"
        for f in res.get("findings") or []
        if f.get("severity") != "info" or f.get("check") == "forecast"
    ]
    return out


def journey(state: LoopState, runtime: Runtime[LoopDeps]) -> Command[Literal["__end__"]]:
    """Propose a journey for the goal and end the turn (see the module docstring)."""
    deps = deps_of(runtime)
    config = get_config()
    actor = requester(config.get("configurable") or {})
    if deps.propose_journey is None:
        raise RuntimeError("journey goals need LoopDeps.propose_journey")
    res = deps.propose_journey(state.get("goal_text") or "", actor)
    kept = {k: v for k, v in res.items() if k != "spec"}
    msgs = [AIMessage(content=line, name="userops") for line in _lines(res)]
    return Command(
        update={
            "journey": kept,
            "status": STATUS.get(str(res["status"]), "blocked"),
            "messages": msgs,
        },
        goto="__end__",
    )

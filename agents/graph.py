"""The campaign loop as a LangGraph graph.

intake → clarify | plan → evaluate ⟲ plan (bounded) → prepare_approval → approval_gate
(``interrupt``) → apply_decision → dispatch → measure → review (follow-up → approval again)
→ lessons. Nodes route with ``Command``. Input: ``{"messages": [...]}``.
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agents.nodes.delivery import make_dispatch
from agents.nodes.deps import DepsRef, LoopDeps
from agents.nodes.gate import approval_gate, make_apply_decision, make_prepare_approval
from agents.nodes.planning import make_clarify, make_evaluate, make_intake, make_plan
from agents.nodes.results import make_lessons, make_measure, make_review
from agents.state import LoopState


def make_graph(
    deps: LoopDeps | DepsRef | None = None,
    *,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compile the loop with ``deps`` (default: offline planner and sandbox, built lazily)."""
    ref = deps if isinstance(deps, DepsRef) else DepsRef(deps)
    g = StateGraph(LoopState)
    g.add_node("intake", make_intake(ref))
    g.add_node("clarify", make_clarify(ref))
    g.add_node("plan", make_plan(ref))
    g.add_node("evaluate", make_evaluate(ref))
    g.add_node("prepare_approval", make_prepare_approval(ref))
    g.add_node("approval_gate", approval_gate)
    g.add_node("apply_decision", make_apply_decision(ref))
    g.add_node("dispatch", make_dispatch(ref))
    g.add_node("measure", make_measure(ref))
    g.add_node("review", make_review(ref))
    g.add_node("lessons", make_lessons(ref))
    g.add_edge(START, "intake")
    return g.compile(checkpointer=checkpointer, name="userops")


graph = make_graph()
"""The loop with default dependencies, for ``langgraph.json`` (the server adds persistence)."""

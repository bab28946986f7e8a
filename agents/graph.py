"""The campaign loop as a LangGraph graph.

intake → journey (an always-on goal: a journey proposal, :mod:`agents.nodes.journey`) |
clarify | plan → evaluate ⟲ plan (bounded) → prepare_approval → approval_gate
(``interrupt``) → apply_decision → dispatch → measure → review (follow-up → approval again)
→ lessons. Nodes route with ``Command``. Input (:class:`~agents.state.LoopInput`):
``{"messages": [...]}``. Dependencies are the run's context
(:class:`~agents.nodes.deps.LoopDeps`): ``graph.invoke(input, config, context=deps)``, and
the same on every resume (``Command(resume=...)``); a run given none uses the default ones
(:func:`~agents.nodes.wiring.deps_of`).
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agents.nodes.delivery import dispatch
from agents.nodes.deps import LoopDeps
from agents.nodes.gate import apply_decision, approval_gate, prepare_approval
from agents.nodes.journey import journey
from agents.nodes.planning import clarify, evaluate, intake, plan
from agents.nodes.results import lessons, measure, review
from agents.state import LoopInput, LoopState

Graph = CompiledStateGraph[LoopState, LoopDeps, LoopInput, LoopState]


def make_graph(*, checkpointer: BaseCheckpointSaver[Any] | None = None) -> Graph:
    """Compile the loop; each run passes its :class:`LoopDeps` as ``context``."""
    g = StateGraph(LoopState, context_schema=LoopDeps, input_schema=LoopInput)
    g.add_node("intake", intake)
    g.add_node("clarify", clarify)
    g.add_node("journey", journey)
    g.add_node("plan", plan)
    g.add_node("evaluate", evaluate)
    g.add_node("prepare_approval", prepare_approval)
    g.add_node("approval_gate", approval_gate)
    g.add_node("apply_decision", apply_decision)
    g.add_node("dispatch", dispatch)
    g.add_node("measure", measure)
    g.add_node("review", review)
    g.add_node("lessons", lessons)
    g.add_edge(START, "intake")
    return g.compile(checkpointer=checkpointer, name="userops")


graph = make_graph()
"""The loop for ``langgraph.json`` (the server adds persistence; default dependencies)."""
graph.context_schema = None
"""The LangGraph server builds the context schema from a run's ``context`` (``{}`` when the
client gives none), which :class:`LoopDeps` (the server's dependencies, not a client's)
cannot be made from; without a schema the value passes as is and
:func:`~agents.nodes.wiring.deps_of` gives the default dependencies. The builder keeps
``LoopDeps``."""

"""Default dependencies: offline (or LLM) planner, evaluator, dispatch tools, sandbox delivery.

Also how a node finds its dependencies (:func:`deps_of`): the run's LangGraph context, or,
for a run given none, the defaults built once.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from langgraph.runtime import Runtime
from sqlalchemy import Engine

from agents.nodes.deps import LoopDeps
from userops.campaign_sends import outbox_totals
from userops.dispatch.models import DispatchStep
from userops.dispatch.policy import Policy
from userops.settings import Settings, get_settings


def sandbox_deliver(
    engine: Engine,
    steps: list[DispatchStep],
    *,
    policy: Policy | None = None,
    settings: Settings | None = None,
    now_ts: int | None = None,
) -> dict[str, Any]:
    """Enqueue (idempotent); on a simulated store, also deliver and simulate responses.

    ``policy``: the run's policy (None: loaded from ``settings``, for a caller outside a run).

    On a store that is not marked simulated (:mod:`userops.store.meta`) this only enqueues:
    ``userops worker run`` delivers through the configured adapters, and nothing simulated
    is written. On a simulated store (seed, demo, eval) the campaign's rows, and only
    them, go out through the sandbox with the worker's clock moved up to 48 hours ahead
    (:func:`userops.dispatch.fast_forward.fast_forward`), so messages deferred by quiet
    hours, the step's send window or caps go out when the policy allows; the campaign's
    responses are then simulated up to the end of the measurement window.

    Fallback messages the worker spawns (``<step>-fb``) belong to the approved step and are
    counted with it.
    """
    from userops.dispatch.engine import enqueue
    from userops.dispatch.fast_forward import fast_forward
    from userops.dispatch.sandbox import simulate_responses
    from userops.store.meta import is_simulated

    policy = policy or Policy.load((settings or get_settings()).policy_file)
    now = int(now_ts if now_ts is not None else time.time())
    for step in steps:
        enqueue(engine, step, policy=policy, now_ts=now)
    campaign_id = steps[0].campaign_id
    ids = [st.step_id for st in steps]
    if is_simulated(engine):
        fast_forward(engine, campaign_id, policy=policy, now=now)
        simulate_responses(engine, until_ts=now + 8 * 86400, campaign_id=campaign_id)
    return outbox_totals(engine, campaign_id, ids + [f"{i}-fb" for i in ids])


def _memory(engine: Engine, settings: Settings) -> Any:
    """The lesson memory (Chroma index over the lessons table), or None if unavailable."""
    from userops.errors import UseropsError

    try:
        from tools.memory import LessonMemory

        return LessonMemory.from_settings(engine, settings)
    except (ImportError, UseropsError):
        return None


def _evaluator(ctx: Any) -> Any:
    from agents.evaluation.evaluator import PlanEvaluator

    return PlanEvaluator(ctx)


def default_deps(
    engine: Engine | None = None,
    *,
    settings: Settings | None = None,
    blast_share: float = 0.0,
    now_ts: int | None = None,
) -> LoopDeps:
    """Wire the default loop: offline planner (LLM planner when a model is configured).

    ``now_ts`` fixes the loop's clock (goal dates, plan name, pre-flight, dispatch and the
    simulated responses) so that a run is reproducible; None: the real clock.
    """
    from agents.goal.parser import clarifying_question, parse_goal
    from tools.context import ToolContext
    from tools.dispatch import build_dispatch_step
    from userops.store.engine import open_store

    s = settings or get_settings()
    eng = engine or open_store()
    memory = _memory(eng, s)
    policy = Policy.load(s.policy_file)  # once per run: tools, evaluator and delivery share it
    ctx = ToolContext(engine=eng, settings=s, memory=memory, now_ts=now_ts, policy=policy)
    if s.llm_configured:
        from agents.planning.llm import LLMPlanner

        planner: Any = LLMPlanner(ctx)
    else:
        from agents.planning.offline import OfflinePlanner

        planner = OfflinePlanner(ctx)
    evaluator = _evaluator(ctx)
    today = None if now_ts is None else datetime.fromtimestamp(now_ts, UTC).date()

    def build_step(e: Engine, plan: Any, step: Any, campaign_id: str) -> DispatchStep:
        return build_dispatch_step(ctx, plan, step, campaign_id=campaign_id)[0]

    def propose_journey(goal: str, actor: str) -> dict[str, Any]:
        from agents.planning.journey.wiring import propose

        return propose(eng, goal, actor=actor, settings=s, policy=policy, now_ts=now_ts)

    return LoopDeps(
        engine=eng,
        planner=planner,
        evaluator=evaluator,
        parse_goal=lambda t, lang: parse_goal(t, lang, today=today),
        clarify=clarifying_question,
        build_step=build_step,
        preflight=lambda e, st: ctx.preflight(st),
        deliver=lambda e, st: sandbox_deliver(e, st, policy=policy, now_ts=now_ts),
        policy=policy,
        allow_self_approval=policy.allow_self_approval,
        auto_approve_tiers=frozenset(policy.auto_approve_tiers),
        blast_share=blast_share,
        remember=None
        if memory is None
        else lambda txt, obj, lang, cid: memory.add(
            txt, objective=obj, language=lang, campaign_id=cid
        ),
        propose_journey=propose_journey,
        llm_calls=lambda: (
            int(getattr(planner, "llm_calls", 0)) + int(getattr(evaluator, "llm_calls", 0))
        ),
    )


_served: list[LoopDeps] = []
_served_lock = threading.Lock()


def deps_of(runtime: Runtime[LoopDeps]) -> LoopDeps:
    """Return the run's dependencies: the context it was given (``context=deps``).

    A run given no context (the LangGraph server running ``langgraph.json``'s graph) gets
    :func:`default_deps` on the configured store, built on the first such run and kept for
    the process.
    """
    if isinstance(runtime.context, LoopDeps):
        return runtime.context
    with _served_lock:
        if not _served:
            _served.append(default_deps())
        return _served[0]

"""Dispatch steps of a plan (with the one-size-fits-all baseline arm) and the dispatch node."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import Command

from agents.nodes.deps import LoopDeps
from agents.nodes.records import set_campaign
from agents.nodes.text import say
from agents.nodes.wiring import deps_of
from agents.state import LoopState
from agents.state_view import view
from userops.approvals import records as approvals
from userops.dispatch.models import DispatchStep, MessageContent, SendWindow
from userops.errors import ApprovalRequired
from userops.plan import CampaignPlan, Goal

BLAST_SUFFIX = "b"


def _in_share(seed: str, user_id: int, share: float) -> bool:
    h = hashlib.sha256(f"{seed}:{user_id}".encode()).digest()
    return int.from_bytes(h[:4], "big") / 2**32 < share


def _blast_contents(step: DispatchStep) -> dict[str, MessageContent]:
    """One content per channel: the variant of the audience's most common persona."""
    personas = Counter(step.contents[v].persona for _u, _c, v in step.assignments)
    persona = personas.most_common(1)[0][0]
    channels = {c for _u, c, _v in step.assignments}
    if step.fallback is not None:
        channels.add(step.fallback.channel)
    out: dict[str, MessageContent] = {}
    for channel in sorted(channels):
        same = [c for c in step.contents.values() if c.channel == channel]
        pick = next((c for c in same if c.persona == persona), same[0] if same else None)
        if pick is not None:
            bid = f"blast-{channel}"
            out[bid] = pick.model_copy(update={"variant_id": bid, "persona": None})
    return out


def split_blast(step: DispatchStep, share: float) -> list[DispatchStep]:
    """Move a random ``share`` of treatment to a one-size-fits-all arm (a step of its own).

    The blast arm keeps each user's channel and the step's fallback rule but sends everyone
    the content written for the audience's most common persona, so the comparison with the
    personalized arm isolates per-persona content; both arms are measured against the same
    holdout. Deterministic for a given step.
    """
    if share <= 0 or not step.assignments:
        return [step]
    seed = f"{step.campaign_id}/{step.step_id}/blast"
    picked = [a for a in step.assignments if _in_share(seed, a[0], share)]
    if not picked:
        return [step]
    kept = [a for a in step.assignments if not _in_share(seed, a[0], share)]
    contents = _blast_contents(step)
    fallback = step.fallback
    if fallback is not None:
        fb_id = f"blast-{fallback.channel}"
        fallback = fallback.model_copy(  # one content for all: no per-persona fallback
            update={"variant_id": fb_id if fb_id in contents else None, "variant_by_persona": {}}
        )
    # The engine checks a step's budget against the whole campaign's commitments and the main
    # step is enqueued first: the main arm gets its share, the blast arm the remainder.
    budget_main = budget_blast = None
    if step.budget is not None:
        budget_main = round(step.budget * len(kept) / len(step.assignments), 2)
        budget_blast = step.budget
    main = step.model_copy(update={"assignments": kept, "budget": budget_main})
    blast = step.model_copy(
        update={
            "step_id": f"{step.step_id}{BLAST_SUFFIX}",
            "contents": contents,
            "assignments": [
                (u, c, f"blast-{c}") for u, c, _v in picked if f"blast-{c}" in contents
            ],
            "holdout": [],
            "budget": budget_blast,
            "fallback": fallback,
            "metadata": {**step.metadata, "arm": "blast", "baseline_of": step.step_id},
        }
    )
    return [main, blast]


def make_steps(deps: LoopDeps, state: LoopState) -> list[DispatchStep]:
    """Build the dispatch steps for the plan step being approved (blast arm on the main one).

    The goal's send window is set on every step here, below the planner, so the engine
    enforces it whatever the plan (or an LLM) wrote.
    """
    plan = CampaignPlan.model_validate(state["plan"])
    idx = view(state).step_index
    step = deps.build_step(deps.engine, plan, plan.steps[idx], view(state).campaign_id)
    goal = state.get("goal")
    window = Goal.model_validate(goal).constraints.send_window if goal else None
    if window is not None:  # the operator's window, from the goal: no plan can drop it
        step = step.model_copy(
            update={"send_window": SendWindow(start=window.start, end=window.end)}
        )
    share = view(state).blast_share(deps.blast_share)
    return split_blast(step, share) if idx == 0 else [step]


def dispatch(state: LoopState, runtime: Runtime[LoopDeps]) -> Command[Literal["measure"]]:
    """Deliver the approved steps: only after a recorded approval; idempotent by outbox key."""
    deps = deps_of(runtime)
    approval_id = state.get("approval_id")
    if not approval_id or not approvals.is_approved(deps.engine, approval_id):
        raise ApprovalRequired(f"no approval recorded for {approval_id or 'this plan'}")
    steps = make_steps(deps, state)
    result = deps.deliver(deps.engine, steps)
    prev = view(state).dispatch
    merged: dict[str, Any] = {
        "sent": int(prev.get("sent", 0)) + int(result.get("sent", 0)),
        "deferred": int(prev.get("deferred", 0)) + int(result.get("deferred", 0)),
        "queued": int(prev.get("queued", 0)) + int(result.get("queued", 0)),
        "suppressed": dict(prev.get("suppressed") or {}),
        "cost": round(float(prev.get("cost", 0.0)) + float(result.get("cost", 0.0)), 4),
        "steps": [*(prev.get("steps") or []), *[s.step_id for s in steps]],
    }
    for k, v in (result.get("suppressed") or {}).items():
        merged["suppressed"][k] = merged["suppressed"].get(k, 0) + int(v)
    set_campaign(
        deps.engine,
        view(state).campaign_id,
        actor="dispatcher",
        action="dispatch",
        status="running",
        spent=merged["cost"],
    )
    lang = view(state).language
    msg = say(
        "dispatched",
        lang,
        sent=result.get("sent", 0),
        deferred=result.get("deferred", 0),
        suppressed=sum((result.get("suppressed") or {}).values()),
    )
    msgs = [msg]
    if result.get("queued"):  # a real store: the workers deliver, nothing was simulated
        msgs.append(say("queued", lang, queued=result["queued"]))
    return Command(
        update={"dispatch": merged, "status": "dispatched", "messages": msgs},
        goto="measure",
    )

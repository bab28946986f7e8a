"""The approval gate: prepare the card (side effects), interrupt (alone), apply the decision.

The card (:class:`~userops.approvals.card.ApprovalCard`) is a contract: it lists every step
the approval permits (the plan step, its fallback, the comparison arm) with per-channel
maximum messages and cost, and the dispatch engine holds each step to it.

LangGraph re-runs an interrupted node from its first line on resume, so the gate node does
nothing but ``interrupt()``; the request row is written before it (idempotently) and the
decision is recorded after it, exactly once, in ``userops.approvals.records``. If recording fails
(the store is down, a bug), the thread goes back to the gate and waits for a decision again
instead of stopping half way; a failure after the decision is recorded leaves the run at
``apply_decision`` for the recovery sweep (:mod:`agents.runtime.recovery`).

An approver's edit makes a new revision whose ``edited_by`` is that approver: they may never
approve it, and the policy never auto-approves it. What the edit set is kept by the planner's
later revisions (:mod:`agents.planning.edits`), and so is ``edited_by`` while they keep it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Literal

from langgraph.config import get_config
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt
from pydantic import ValidationError

from agents.nodes.card import hitl_request, merge_preflights, plan_diff, previews, risk_tier
from agents.nodes.decider import UNAUTHENTICATED, as_decisions, decider
from agents.nodes.delivery import make_steps
from agents.nodes.deps import LoopDeps
from agents.nodes.records import set_campaign
from agents.nodes.text import say
from agents.nodes.understood import understood
from agents.nodes.wiring import deps_of
from agents.planning.edits import edit_of, merged
from agents.planning.revise import amend, is_question
from agents.schema import Finding
from agents.state import LoopState
from agents.state_view import view
from userops.approvals import records as approvals
from userops.approvals.card import ApprovalCard, build_contract
from userops.errors import BadInput, Conflict, PolicyRefused
from userops.plan import CampaignPlan, Goal

log = logging.getLogger(__name__)


def prepare_approval(
    state: LoopState, runtime: Runtime[LoopDeps]
) -> Command[Literal["approval_gate", "dispatch"]]:
    """Write the approval request and its card (the gate then waits on it)."""
    config = get_config()
    deps = deps_of(runtime)
    steps = make_steps(deps, state)
    reports = [deps.preflight(deps.engine, s) for s in steps]
    pre = merge_preflights(reports)
    findings = view(state).findings
    escalated = view(state).escalated
    idx = view(state).step_index
    campaign_id = view(state).campaign_id
    revision = view(state).revision
    approval_id = f"{campaign_id}-r{revision}-s{idx}"
    plan = dict(view(state).plan)
    tier = risk_tier(pre, findings, escalated)
    card = ApprovalCard(
        approval_id=approval_id,
        campaign_id=campaign_id,
        revision=revision,
        step_id=plan["steps"][idx]["step_id"],
        requested_by=state.get("requested_by"),
        edited_by=state.get("edited_by"),
        plan=plan,
        audience_size=pre["total"] + pre["holdout"],
        preflight=pre,
        previews=previews(deps.engine, steps),
        findings=findings,
        escalated=escalated,
        risk_tier=tier,
        diff=plan_diff(state.get("shown_plan"), plan),
        understood=understood(state.get("goal"), plan, idx),
        contract=build_contract(list(zip(steps, reports, strict=True)), followup=idx > 0),
    ).model_dump(mode="json")
    approvals.create_request(
        deps.engine,
        approval_id=approval_id,
        campaign_id=campaign_id,
        thread_id=str((config.get("configurable") or {}).get("thread_id", "")),
        revision=revision,
        card=card,
        risk_tier=tier,
        requested_by=state.get("requested_by"),
        edited_by=state.get("edited_by"),
    )
    update: dict[str, Any] = {"approval_id": approval_id, "card": card, "shown_plan": plan}
    if idx == 0:
        update["audience_size"] = card["audience_size"]
    if tier in deps.auto_approve_tiers and not state.get("edited_by"):
        rec = approvals.decide(
            deps.engine,
            approval_id,
            {"type": "approve", "message": f"auto-approved: risk tier {tier}"},
            actor="policy",
            client_decision_id=f"auto:{approval_id}",
            system=True,
        )
        entry = {"approval_id": approval_id, "status": rec.status, "actor": "policy"}
        update["approvals"] = [*view(state).approvals, entry]
        return Command(update=update, goto="dispatch")
    set_campaign(
        deps.engine,
        campaign_id,
        actor="system",
        action="await_approval",
        status="awaiting_approval",
    )
    lang = view(state).language
    msg = say("awaiting", lang, approval_id=approval_id, risk=tier)
    return Command(
        update={**update, "status": "awaiting_approval", "messages": [msg]},
        goto="approval_gate",
    )


def approval_gate(state: LoopState) -> Command[Literal["apply_decision"]]:
    """Wait for a person: ``interrupt()`` with the HITL request, nothing else."""
    value = interrupt(hitl_request(view(state).card))
    return Command(update={"resume": value}, goto="apply_decision")


def _decision_id(approval_id: str, actor: str, decision: dict[str, Any]) -> str:
    raw = json.dumps([approval_id, actor, decision], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def edited_plan(decision: dict[str, Any]) -> dict[str, Any]:
    """Return the plan of an ``edit`` decision, validated.

    Raises:
        BadInput: naming the place in ``edited_action`` that is wrong.
    """
    action = decision.get("edited_action") or {}
    if not isinstance(action, dict):
        raise BadInput.one("must be an object with 'args'", field="edited_action", value=action)
    args = action.get("args") or {}
    if not isinstance(args, dict):
        raise BadInput.one("must be an object (the plan)", field="edited_action.args", value=args)
    raw = args.get("plan", args)
    try:
        return CampaignPlan.model_validate(raw).model_dump(mode="json")
    except ValidationError as exc:
        where = "edited_action.args.plan"
        raise BadInput.from_validation_error(exc, where=where, first=True) from None


def changes_asked(state: LoopState, decision: dict[str, Any]) -> dict[str, Any]:
    """A comment (``respond``) that asks for changes is a rejection with that reason.

    "email only", "smaller audience", "不要优惠": the approver asks for another revision,
    which the planner makes like a rejection's; a comment asking for nothing stays a comment.
    """
    message = str(decision.get("message") or "")
    if decision.get("type") != "respond" or is_question(message):
        return decision
    goal = Goal.model_validate(state.get("goal") or {"text": ""})
    if not amend(goal, message, state.get("card")).understood:
        return decision
    return {**decision, "type": "reject", "asked_in": "respond"}


def apply_decision(
    state: LoopState, runtime: Runtime[LoopDeps]
) -> Command[Literal["approval_gate", "dispatch", "plan", "evaluate"]]:
    """Record the gate's decision exactly once and route on it."""
    config = get_config()
    deps = deps_of(runtime)
    value, shape_error = as_decisions(state.get("resume"))
    approval_id = view(state).approval_id
    lang = view(state).language
    actor = decider(value, config.get("configurable") or {})
    decisions = value.get("decisions") or [{}]
    decision = decisions[0] if isinstance(decisions[0], dict) else {}
    edited: dict[str, Any] | None = None
    try:
        if shape_error is not None:
            raise shape_error
        if not actor:
            raise PolicyRefused(UNAUTHENTICATED, reason="unauthenticated")
        if decision.get("type") == "edit":
            edited = edited_plan(decision)
        decision = changes_asked(state, decision)
        rec = approvals.decide(
            deps.engine,
            approval_id,
            decision,
            actor=actor,
            client_decision_id=value.get("decision_id")
            or _decision_id(approval_id, actor, decision),
            allow_self_approval=deps.allow_self_approval,
        )
    except (PolicyRefused, BadInput) as exc:
        approvals.record_refusal(
            deps.engine,
            approval_id,
            actor=actor or "unauthenticated",
            decision=decision,
            reason=str(exc),
        )
        msg = say("refused_decision", lang, reason=str(exc))
        update = {"resume": None, "decision_error": None, "messages": [msg]}
        return Command(update=update, goto="approval_gate")
    except Conflict:
        rec = approvals.get(deps.engine, approval_id)
        decision = rec.decision or decision
    except Exception as exc:  # not recorded: wait at the gate again, never stop half way
        log.exception("decision on approval %s was not recorded", approval_id)
        why = type(exc).__name__  # the details are in the log, not in the thread
        msg = say("decision_not_recorded", lang, reason=why)
        return Command(
            update={"resume": None, "decision_error": why, "messages": [msg]},
            goto="approval_gate",
        )
    base: dict[str, Any] = {"resume": None, "decision_error": None}
    if rec.status == "pending":
        msg = say("comment", lang, message=decision.get("message", ""))
        return Command(update={**base, "messages": [msg]}, goto="approval_gate")
    entry = {
        "approval_id": approval_id,
        "status": rec.status,
        "actor": rec.decided_by,
        "revision": rec.revision,
        "message": rec.comment,
    }
    base["approvals"] = [*view(state).approvals, entry]
    if rec.status == "approved":
        return Command(update=base, goto="dispatch")
    if rec.status == "rejected":
        reason = str((rec.decision or {}).get("message") or "rejected")
        finding = Finding(
            check="approver", severity="error", message=reason, detail={"by": rec.decided_by}
        )
        return Command(
            update={
                **base,
                "feedback": [finding.model_dump(mode="json")],
                "round": 0,
                "status": "planning",
                "messages": [say("rejected", lang, message=reason)],
            },
            goto="plan",
        )
    plan = edited or edited_plan(rec.decision or {})
    revision = view(state).revision + 1
    plan["revision"] = revision
    set_campaign(
        deps.engine,
        view(state).campaign_id,
        actor=str(rec.decided_by),
        action="plan.edited",
        plan=plan,
        revision=revision,
    )
    return Command(
        update={
            **base,
            "plan": plan,
            "revision": revision,
            "edited_by": rec.decided_by,
            "approver_edits": merged(state.get("approver_edits"), edit_of(state.get("plan"), plan)),
            "round": 0,
            "status": "planning",
            "messages": [say("edited", lang)],
        },
        goto="evaluate",
    )

"""Propose a journey: read the goal, plan, evaluate (revise), store a version for approval.

:func:`propose_journey` is what ``userops journeys propose``, ``POST /v1/journeys/propose``
and the loop's ``journey`` node call. Nothing is sent: the version waits for an approver
(``userops journeys approve``). The result::

    {"journey_id", "version", "approval_id", "status", "findings", "assumed", "forecast"}

``status`` is ``awaiting_approval`` (stored), ``needs_clarification`` (``questions``; nothing
stored), ``refused`` (the goal asks for something the platform will not do) or ``blocked``
(the spec still fails the evaluator's checks after the rounds; nothing stored).
``approval_id`` names the version's own decision, ``<journey>:v<version>``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from agents.evaluation.journey import JourneyEvaluator, default_forecaster
from agents.planning.journey.intent import JourneyIntent
from agents.planning.journey.offline import JourneyPlanner, OfflineJourneyPlanner
from agents.planning.journey.reader import read_goal
from agents.schema import Finding, Verdict
from prompts.catalog import say
from tools.journeys import record_proposal
from userops.errors import BadInput, ModelUnavailable
from userops.journeys.records import create_journey
from userops.journeys.spec import JourneySpec
from userops.privacy import redact
from userops.text_limits import check_text


def approval_id(journey_id: str, version: int) -> str:
    """The id of a journey version's decision (``<journey>:v<version>``)."""
    return f"{journey_id}:v{version}"


def _round(
    planner: JourneyPlanner,
    evaluator: JourneyEvaluator,
    intent: JourneyIntent,
    feedback: list[Finding],
) -> tuple[JourneySpec | None, list[str], Verdict]:
    try:
        spec, notes = planner.plan(intent, feedback)
    except BadInput as exc:
        bad = [Finding(check="spec", severity="error", message=str(p)) for p in exc.problems]
        return None, [], Verdict(verdict="revise", findings=bad)
    except ModelUnavailable as exc:  # the model is down: the offline planner takes over
        down = Finding(check="model", severity="error", message=str(exc)[:300])
        return None, [], Verdict(verdict="revise", findings=[down])
    return spec, notes, evaluator.evaluate(intent, spec)


def plan_journey(
    intent: JourneyIntent,
    planner: JourneyPlanner,
    evaluator: JourneyEvaluator,
    *,
    max_rounds: int = 2,
) -> tuple[JourneySpec | None, list[str], Verdict]:
    """Plan ⟲ evaluate up to ``max_rounds`` rounds.

    A model's spec that still fails gives way to the offline planner's (its findings kept as
    warnings).
    """
    feedback: list[Finding] = []
    spec: JourneySpec | None = None
    notes: list[str] = []
    verdict = Verdict(verdict="revise")
    for _ in range(max_rounds):
        spec, notes, verdict = _round(planner, evaluator, intent, feedback)
        if verdict.verdict != "revise" or any(f.check == "model" for f in verdict.findings):
            break
        feedback = [f for f in verdict.findings if f.severity == "error"]
    if verdict.verdict != "revise":
        return spec, notes, verdict
    if not isinstance(planner, OfflineJourneyPlanner):
        spec, notes, fallback = _round(OfflineJourneyPlanner(), evaluator, intent, [])
        kept = [f.model_copy(update={"severity": "warn"}) for f in verdict.findings]
        return spec, notes, fallback.model_copy(update={"findings": kept + fallback.findings})
    return spec, notes, verdict


def propose_journey(
    engine: Engine,
    goal: str,
    *,
    actor: str,
    planner: JourneyPlanner | None = None,
    evaluator: JourneyEvaluator | None = None,
) -> dict[str, Any]:
    """Design a journey for ``goal`` and store it awaiting approval (see the module doc).

    Raises:
        BadInput: the goal is empty, too long or holds a NUL.
    """
    check_text(goal, "goal")
    if not goal.strip():
        raise BadInput.one("must not be empty", field="goal", value=goal)
    intent = read_goal(goal)
    lang = intent.language
    out: dict[str, Any] = {
        "journey_id": None, "version": None, "approval_id": None, "status": "",
        "language": lang, "findings": [], "assumed": list(intent.assumed), "questions": [],
        "forecast": None,
    }  # fmt: skip
    if intent.forbidden:
        msg = say("journey.refused", lang, items="; ".join(intent.forbidden))
        return {**out, "status": "refused", "message": msg}
    if intent.questions:
        return {**out, "status": "needs_clarification", "questions": intent.questions}
    evaluator = evaluator or JourneyEvaluator(engine, forecaster=default_forecaster())
    spec, notes, verdict = plan_journey(intent, planner or OfflineJourneyPlanner(), evaluator)
    findings = [f.model_dump(mode="json") for f in verdict.findings]
    out.update(findings=findings, assumed=[*intent.assumed, *notes], forecast=evaluator.forecast)
    if verdict.verdict == "block":
        return {**out, "status": "refused", "message": verdict.findings[0].message}
    if spec is None or verdict.verdict == "revise":
        items = "; ".join(f.message for f in verdict.findings if f.severity == "error")
        return {**out, "status": "blocked", "message": say("journey.blocked", lang, items=items)}
    made = create_journey(engine, spec, actor=actor)
    jid, version = str(made["id"]), int(made["version"])
    detail = {
        "version": version, "goal": redact(goal)[:1000], "findings": findings,
        "assumed": out["assumed"], "forecast": evaluator.forecast,
    }  # fmt: skip
    record_proposal(engine, actor, jid, detail)
    aid = approval_id(jid, version)
    msg = say("journey.proposed", lang, journey_id=jid, version=version, approval_id=aid)
    return {
        **out, "journey_id": jid, "version": version, "approval_id": aid,
        "status": str(made["status"]), "message": msg, "spec": spec.dump(),
    }  # fmt: skip

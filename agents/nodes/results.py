"""After dispatch: measure against holdout, write back, propose a follow-up or finish."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import Command
from sqlalchemy import Engine

from agents.nodes.delivery import BLAST_SUFFIX
from agents.nodes.deps import LoopDeps
from agents.nodes.followup import followup_step, worked
from agents.nodes.records import set_campaign
from agents.nodes.text import line, say
from agents.nodes.wiring import deps_of
from agents.state import LoopState
from agents.state_view import view
from userops.campaigns import add_lesson, has_lesson
from userops.measure import SUCCESS_EVENTS, measure_campaign, write_back
from userops.measure_adjusted import measure_adjusted


def measure(state: LoopState, runtime: Runtime[LoopDeps]) -> Command[Literal["review"]]:
    """Measure the KPI per arm with CI, the baseline arm; write back to profiles."""
    deps = deps_of(runtime)
    plan = view(state).plan
    idx = view(state).step_index
    step_id = str(plan["steps"][idx]["step_id"])
    metric = str((plan.get("kpi") or {}).get("metric") or "conversion_rate")
    if metric not in SUCCESS_EVENTS:
        metric = "conversion_rate"
    campaign_id = view(state).campaign_id
    has_blast = f"{step_id}{BLAST_SUFFIX}" in (view(state).dispatch.get("steps") or [])
    baseline_step = f"{step_id}{BLAST_SUFFIX}" if has_blast else None
    by_metric: dict[str, Any] = {}
    for m in dict.fromkeys([metric, "conversion_rate", "click_rate"]):
        r = measure_campaign(
            deps.engine,
            campaign_id,
            step_id=step_id,
            metric=m,
            window_s=deps.measure_window_s,
            baseline_step=baseline_step,
        )
        by_metric[m] = {"personalized": r["kpi"], "blast": r["baseline"]}
        if m == metric:
            res = r
    adj = measure_adjusted(
        deps.engine,
        campaign_id,
        step_id=step_id,
        metric=metric,
        window_s=deps.measure_window_s,
        baseline_step=baseline_step,
    )
    baseline = {**res["baseline"], "adjusted": adj["baseline"]} if res["baseline"] else None
    tags = write_back(deps.engine, campaign_id)
    kpi = {
        **res["kpi"],
        "adjusted": adj["kpi"],
        "arms": res["arms"],
        "by_metric": by_metric,
        "response_tags": tags,
        "step_id": step_id,
    }
    lang = view(state).language
    lo, hi = kpi["ci"]
    msgs = [say("measured", lang, lo=lo, hi=hi, **res["kpi"])]
    if res["baseline"] is not None:
        msgs.append(say("baseline", lang, uplift=res["baseline"]["uplift"]))
    if adj["kpi"]["ci"] is not None:
        a = adj["kpi"]
        vr = a["variance_reduction"]
        msgs.append(say("adjusted", lang, uplift=a["uplift"], lo=a["ci"][0], hi=a["ci"][1], vr=vr))
    if idx > 0:
        done = [*view(state).followup_results, kpi]
        return Command(update={"followup_results": done, "messages": msgs}, goto="review")
    return Command(update={"kpi": kpi, "baseline": baseline, "messages": msgs}, goto="review")


def review(
    state: LoopState, runtime: Runtime[LoopDeps]
) -> Command[Literal["prepare_approval", "lessons"]]:
    """Send a further plan step back through approval, else finish."""
    deps = deps_of(runtime)
    plan = view(state).plan
    nxt = view(state).step_index + 1
    update: dict[str, Any] = {}
    if nxt == len(plan.get("steps") or []) and nxt <= deps.max_followups:
        extra = followup_step(plan, view(state).campaign_id) if worked(state.get("kpi")) else None
        if extra is not None:
            plan = {**plan, "steps": [*plan["steps"], extra]}
            update["plan"] = plan
    if nxt < len(plan.get("steps") or []) and nxt <= deps.max_followups:
        lang = view(state).language
        msg = say("followup", lang, step=plan["steps"][nxt]["step_id"])
        update.update({"step_index": nxt, "escalated": False, "messages": [msg]})
        return Command(update=update, goto="prepare_approval")
    return Command(goto="lessons")


def lesson_text(state: LoopState) -> str:
    """Summarize what the campaign taught, in the operator's language."""
    goal = view(state).goal
    lang = goal.get("language")
    kpi = view(state).kpi
    parts = [f"[{goal.get('objective')}] {view(state).plan.get('name', '')}"]
    if kpi:
        lo, hi = kpi["ci"]
        parts.append(
            line(
                "measured",
                lang,
                metric=kpi["metric"],
                treatment=kpi["treatment"],
                holdout=kpi["holdout"],
                uplift=kpi["uplift"],
                lo=lo,
                hi=hi,
            )
        )
    base = state.get("baseline")
    if base:
        parts.append(line("baseline", lang, uplift=base["uplift"]))
    return " ".join(parts)


def store_lesson(
    engine: Engine,
    campaign_id: str,
    objective: str | None,
    lang: str,
    txt: str,
    remember: Callable[[str, str | None, str, str], None] | None = None,
) -> None:
    """Store the lesson of ``campaign_id`` once (a re-run of the node adds nothing)."""
    if has_lesson(engine, campaign_id):
        return
    if remember is not None:
        remember(txt, objective, lang, campaign_id)
        return
    add_lesson(engine, campaign_id, objective=objective, language=lang, text=txt)


def lessons(state: LoopState, runtime: Runtime[LoopDeps]) -> Command[Literal["__end__"]]:
    """Store the lesson and close the campaign."""
    deps = deps_of(runtime)
    goal = view(state).goal
    lang = str(goal.get("language") or "zh")
    txt = lesson_text(state)
    campaign_id = view(state).campaign_id
    store_lesson(deps.engine, campaign_id, goal.get("objective"), lang, txt, deps.remember)
    set_campaign(deps.engine, campaign_id, actor="system", action="complete", status="completed")
    return Command(
        update={"lessons": [txt], "status": "completed", "messages": [say("done", lang)]},
        goto="__end__",
    )

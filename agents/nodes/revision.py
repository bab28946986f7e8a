"""An approver's reason through the loop: fold it into the goal, then say what changed.

The plan node folds a rejection's (or a change-asking comment's) reason into the goal with
:func:`agents.planning.revise.amend`; the evaluate node, once the new revision goes to a person,
compares it with the revision that was rejected and writes a ``revision`` finding on the
card: the reason, what was understood, what changed (audience, cost, channels, copy...),
and, when nothing could be changed, says so plainly instead of presenting the same plan as
an answer.
"""

from __future__ import annotations

from typing import Any

from agents.planning.revise import amend
from agents.schema import Finding
from prompts.catalog import catalog, say
from userops.plan import Goal


def approver_reason(feedback: list[Finding]) -> Finding | None:
    """The approver's finding among ``feedback`` (the newest), if any."""
    mine = [f for f in feedback if f.check == "approver"]
    return mine[-1] if mine else None


def fold_reason(
    goal: Goal,
    reason: Finding,
    card: dict[str, Any] | None,
    revision: int,
    preflight: dict[str, Any] | None = None,
) -> tuple[Goal, dict[str, Any]]:
    """Return the amended goal and the request to report on the next card.

    ``card`` is the card rejected; ``preflight`` the evaluator's pre-flight of its plan
    (the plan's own audience and cost, compared with the next revision's).
    """
    shown = _measured(card.get("plan") if card else None, preflight) if preflight else card
    a = amend(goal, reason.message, shown)
    request = {
        "reason": reason.message,
        "by": reason.detail.get("by"),
        "asks": a.asks,
        "unread": a.unread,
        "conflicts": a.conflicts,
        "rejected_revision": revision,
        "shown": _summary(shown),
    }
    return a.goal, request


def _measured(plan: dict[str, Any] | None, pre: dict[str, Any]) -> dict[str, Any]:
    """A card-like view of ``plan`` with the evaluator's pre-flight sizes and cost."""
    size = int(pre.get("total", 0)) + int(pre.get("holdout", 0))
    return {"plan": plan or {}, "audience_size": size, "preflight": pre}


def _summary(card: dict[str, Any] | None) -> dict[str, Any]:
    """What a card showed, in the terms an approver compares: sizes, cost, channels, copy."""
    if not card:
        return {}
    plan = card.get("plan") or {}
    step = (plan.get("steps") or [{}])[0]
    rule = step.get("channel_rule") or {}
    fb = rule.get("fallback") or {}
    variants = step.get("variants") or []
    return {
        "audience": card.get("audience_size"),
        "cost": (card.get("preflight") or {}).get("cost"),
        "channels": list(rule.get("preferred") or []),
        "fallback": fb.get("channel"),
        "personas": list(step.get("personas") or []),
        "languages": sorted({str(v.get("language")) for v in variants}),
        "holdout": step.get("holdout_share"),
        "budget": plan.get("budget"),
        "segment": step.get("segment"),
        "copy": sorted(str(v.get("body")) for v in variants),
    }


def revision_finding(
    goal: Goal, request: dict[str, Any], plan: dict[str, Any], preflight: dict[str, Any] | None
) -> Finding:
    """The card's account of how this revision answers the approver's reason."""
    now = _summary(_measured(plan, preflight or {}))
    before = request.get("shown") or {}
    changes = [
        {"what": k, "before": before.get(k), "after": now.get(k)}
        for k in ("audience", "cost", "channels", "fallback", "personas", "languages", "holdout")
        if before.get(k) != now.get(k)
    ]
    for k, label in (("segment", "audience definition"), ("copy", "copy")):
        if before.get(k) != now.get(k):
            changes.append({"what": label, "before": None, "after": "changed"})
    lang = goal.language if goal.language in ("zh", "en") else "zh"
    reason = str(request.get("reason", ""))[:120]
    revision = request.get("rejected_revision")
    addressed = bool(request.get("asks")) and bool(changes)
    conflicts = list(request.get("conflicts") or [])
    if addressed:
        text = "; ".join(_change(c, lang) for c in changes)
        message = say("revision.addressed", lang, reason=reason, changes=text)
    elif request.get("asks") or conflicts:
        asks = ", ".join([*request.get("asks", []), *conflicts])
        message = say("revision.same", lang, reason=reason, asks=asks, revision=revision)
        conflicts = []
    else:
        message = say("revision.unread", lang, reason=reason, revision=revision)
    if conflicts:
        items = "; ".join(conflicts)
        message += " " + say("revision.partly", lang, reason=reason, items=items)
    return Finding(
        check="revision",
        severity="info" if addressed else "warn",
        message=message,
        detail={
            "reason": reason,
            "by": request.get("by"),
            "asks": request.get("asks") or [],
            "unread": request.get("unread") or [],
            "conflicts": request.get("conflicts") or [],
            "changes": changes,
            "addressed": addressed,
            "rejected_revision": revision,
        },
    )


def _change(c: dict[str, Any], lang: str) -> str:
    label = f"revision.label.{c['what']}"
    what = say(label, lang) if label in catalog(lang) else c["what"]
    if c["before"] is None and c["after"] == "changed":
        return say("revision.changed", lang, what=what)
    return f"{what} {_fmt(c['before'])} → {_fmt(c['after'])}"


def _fmt(v: Any) -> str:
    if isinstance(v, list):
        return "/".join(str(x) for x in v) or "-"
    if isinstance(v, float):
        return f"{v:g}"
    return "-" if v is None else str(v)

"""An approver's edit kept by every later revision the planner makes.

An approver who edits a plan (budget, a step's holdout, recipient limit or channels, a
variant's copy) sets those values; when a later revision is asked for (a rejection's
reason, a change-asking comment, an evaluator round), the planner starts again from the
goal, so without this module the edit would be lost. :func:`edit_of` records what an edit
changed (compared with the plan it edited), :func:`merged` adds it to the earlier edits,
and :func:`carry` holds the next revision to them: the budget and channels narrow the goal
the planner plans for (so the evaluator holds the revision to them too), the holdout, the
limit and the copy are put back on the new plan. A value the approver's reason asks to
change (``budget 500``, ``smaller audience``, ``email only``, ``friendlier``) is the
reason's, and that edit is dropped (:func:`superseded`).
"""

from __future__ import annotations

from typing import Any

from userops.plan import CampaignPlan, Goal

TEXT = ("subject", "title", "body", "script")
"""A variant's copy fields an approver edits."""


def edit_of(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """What an approver's edit changed: ``budget`` and, per step id, its settings and copy."""
    before = before or {}
    out: dict[str, Any] = {}
    if after.get("budget") != before.get("budget") and after.get("budget") is not None:
        out["budget"] = after["budget"]
    old = {s.get("step_id"): s for s in before.get("steps") or []}
    steps: dict[str, Any] = {}
    for step in after.get("steps") or []:
        prev = old.get(step.get("step_id"), {})
        got: dict[str, Any] = {}
        if step.get("holdout_share") != prev.get("holdout_share"):
            got["holdout_share"] = step.get("holdout_share")
        limit = (step.get("segment") or {}).get("limit")
        if limit != (prev.get("segment") or {}).get("limit") and limit:
            got["limit"] = limit
        chans = (step.get("channel_rule") or {}).get("preferred")
        if chans != (prev.get("channel_rule") or {}).get("preferred") and chans:
            got["channels"] = list(chans)
        pv = {v.get("variant_id"): v for v in prev.get("variants") or []}
        copy = {
            str(v.get("variant_id")): changed
            for v in step.get("variants") or []
            if (changed := _copy_changed(v, pv.get(v.get("variant_id"))))
        }
        if copy:
            got["copy"] = copy
        if got:
            steps[str(step.get("step_id"))] = got
    if steps:
        out["steps"] = steps
    return out


def _copy_changed(v: dict[str, Any], prev: dict[str, Any] | None) -> dict[str, Any]:
    if prev is None:  # a variant the edit added: nothing to compare with
        return {}
    return {k: v.get(k) for k in TEXT if k in v and v.get(k) != prev.get(k)}


def merged(earlier: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """``earlier`` edits with ``new`` on top (the later edit of a value wins)."""
    out = {k: v for k, v in (earlier or {}).items() if k != "steps"}
    out.update({k: v for k, v in new.items() if k != "steps"})
    steps = {k: dict(v) for k, v in ((earlier or {}).get("steps") or {}).items()}
    for sid, got in (new.get("steps") or {}).items():
        mine = steps.setdefault(sid, {})
        copy = {**(mine.get("copy") or {})}
        for vid, fields in (got.get("copy") or {}).items():
            copy[vid] = {**copy.get(vid, {}), **fields}
        mine.update({k: v for k, v in got.items() if k != "copy"})
        if copy:
            mine["copy"] = copy
    if steps:
        out["steps"] = steps
    return out


def superseded(
    edits: dict[str, Any], before: Goal, after: Goal, asks: list[str] | None = None
) -> dict[str, Any]:
    """``edits`` less what the reason asked to change (``before`` → ``after`` goal).

    ``asks`` is what the reason was read as (:class:`agents.planning.revise.Amendment`):
    ``larger audience`` changes no constraint but asks past an edited limit.
    """
    b, a = before.constraints, after.constraints
    budget = a.budget != b.budget
    size = a.max_recipients != b.max_recipients or after.audience != before.audience
    size = size or "larger audience" in (asks or [])
    chans = (a.channels_allowed, a.channels_forbidden, a.channel_order) != (
        b.channels_allowed,
        b.channels_forbidden,
        b.channel_order,
    )
    copy = chans or (a.content_exclusions, a.content_language, a.tone) != (
        b.content_exclusions,
        b.content_language,
        b.tone,
    )
    out = {k: v for k, v in edits.items() if k != "steps" and not (k == "budget" and budget)}
    drop = {"limit": size, "channels": chans, "copy": copy}
    steps = {
        sid: kept
        for sid, got in (edits.get("steps") or {}).items()
        if (kept := {k: v for k, v in got.items() if not drop.get(k, False)})
    }
    if steps:
        out["steps"] = steps
    return out


def narrowed_goal(goal: Goal, edits: dict[str, Any]) -> Goal:
    """``goal`` with the edited budget and main step's channels where they narrow it."""
    c = goal.constraints.model_copy(deep=True)
    budget = edits.get("budget")
    if budget is not None and (c.budget is None or float(budget) < c.budget):
        c.budget = float(budget)
    steps = edits.get("steps") or {}
    main: dict[str, Any] = next(iter(steps.values()), {})
    chans = [ch for ch in main.get("channels") or [] if ch not in c.channels_forbidden]
    if c.channels_allowed:
        chans = [ch for ch in chans if ch in c.channels_allowed]
    if chans and chans != c.channels_allowed:
        c.channels_allowed = chans
        c.channel_order = [ch for ch in c.channel_order if ch in chans]
        if len(c.channel_order) < 2:
            c.channel_order, c.fallback_after_hours = [], None
    if c == goal.constraints:
        return goal
    return goal.model_copy(update={"constraints": c})


def carry(plan: CampaignPlan, goal: Goal, edits: dict[str, Any]) -> CampaignPlan:
    """``plan`` (the planner's) with the edited budget, holdouts, limits and copy put back."""
    data = plan.model_dump(mode="json")
    budget = edits.get("budget")
    cap = goal.constraints.budget
    if budget is not None and (cap is None or float(budget) <= cap):
        data["budget"] = budget
    for step in data["steps"]:
        got = (edits.get("steps") or {}).get(str(step["step_id"])) or {}
        if got.get("holdout_share") is not None:
            step["holdout_share"] = got["holdout_share"]
        if got.get("limit"):
            now = step["segment"].get("limit")
            step["segment"]["limit"] = min(int(got["limit"]), now) if now else got["limit"]
        copy = got.get("copy") or {}
        for v in step["variants"]:
            v.update(copy.get(str(v["variant_id"])) or {})
    return CampaignPlan.model_validate(data)

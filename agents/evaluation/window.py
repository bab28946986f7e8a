"""Whether the operator's send window can be used: enforced by the engine, or unusable."""

from __future__ import annotations

from agents.evaluation.checks import finding, msg
from agents.goal.window import goal_window
from agents.schema import Finding
from userops.dispatch.models import SendWindow
from userops.dispatch.policy import Policy
from userops.dispatch.window import parse_bounds, window_problem
from userops.plan import Goal


def window_finding(goal: Goal, policy: Policy | None = None) -> Finding | None:
    """The goal's send window: enforced by the engine (info) or unusable (block)."""
    pair = goal_window(goal)
    if pair is None:
        return None
    start, end = pair
    try:
        w = SendWindow.model_validate(pair)
        bounds = parse_bounds(w.start, w.end)
    except ValueError:
        return finding(
            "send_window",
            "block",
            msg(goal, "window_invalid", start=start, end=end),
            start=start,
            end=end,
        )
    problem = window_problem(policy or Policy.load(), bounds, True)
    if problem:
        return finding(
            "send_window",
            "block",
            msg(goal, "window_quiet", start=start, end=end, problem=problem),
            start=start,
            end=end,
        )
    return finding(
        "send_window",
        "info",
        msg(goal, "window_enforced", start=start, end=end),
        start=start,
        end=end,
    )

"""Sending windows in goals, zh and en, through the goal parser."""

from __future__ import annotations

import pytest

from agents.goal.parser import parse_goal
from agents.goal.window import find_window


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("给成熟期用户推荐升级套餐，只在上午10点到下午6点之间发送。", ("10:00", "18:00")),
        ("召回流失用户，10点到18点之间发", ("10:00", "18:00")),
        ("召回流失用户，晚上8点前发完", ("09:00", "20:00")),
        ("召回流失用户，白天发", ("09:00", "21:00")),
        ("召回流失用户，下午2点到6点发", ("14:00", "18:00")),
        ("召回流失用户，上午十点半到下午五点", ("10:30", "17:00")),
        ("召回流失用户，10点以后再发", ("10:00", "21:00")),
        ("Win back churned users, only between 10am and 6pm", ("10:00", "18:00")),
        ("Upsell to mid-value customers; only send 10:00-18:00 local time.", ("10:00", "18:00")),
        ("Win back churned users, send before 8pm", ("09:00", "20:00")),
        ("Win back churned users between 2 and 6pm", ("14:00", "18:00")),
        ("Win back churned users from 9 to 5:30pm", ("09:00", "17:30")),
        ("Win back churned users, after 10am only", ("10:00", "21:00")),
        ("Win back churned users during business hours", ("09:00", "18:00")),
    ],
)
def test_windows_are_understood(text: str, window: tuple[str, str]) -> None:
    goal = parse_goal(text)
    w = goal.constraints.send_window
    assert w is not None and (w.start, w.end) == window
    found = find_window(text)
    assert found is not None
    start, end = found[1]
    said = text[start:end]  # the span marked understood is the window, not the objective
    assert "召回" not in said and "churned" not in said and "Upsell" not in said


@pytest.mark.parametrize(
    "text",
    [
        "召回流失用户，预算1000-2000元，12月1日前完成",
        "18-35岁的用户，30天内没下单",
        "Win back the top 10 to 20 percent of buyers by Dec 1",
        "Win back users who last ordered 2026-05-28, budget 5k",
    ],
)
def test_numbers_that_are_not_clock_times_are_no_window(text: str) -> None:
    assert parse_goal(text).constraints.send_window is None


def _window_seconds(n: int) -> float:
    import time

    t0 = time.perf_counter()
    for unit in (" ", "\n", "1 ", "下午 ", "from ", "no ", "1点 ", "10 到 "):
        find_window((unit * n)[:n])
    return time.perf_counter() - t0


def test_window_patterns_are_linear_in_blank_runs() -> None:
    """Adjacent ``\\s*`` split a run of blanks every way: 1,000 blanks took 7 s (cubic)."""
    small, large = _window_seconds(4_000), _window_seconds(40_000)
    assert large < 2.0, f"40k-character texts took {large:.1f} s"
    assert large < 30 * max(small, 0.005), f"4k: {small:.3f} s, 40k: {large:.3f} s"

"""Patterns over untrusted text take time linear in it (no run is re-read per position)."""

from __future__ import annotations

import re
import time

import pytest

from agents.evaluation.checks import TAG
from userops.dispatch.adapters.smtp import _TAGS


def _seconds(pattern: re.Pattern[str], text: str) -> float:
    t0 = time.perf_counter()
    pattern.sub("", text)
    return time.perf_counter() - t0


@pytest.mark.parametrize("pattern", [TAG, _TAGS], ids=["evaluator", "smtp"])
def test_tag_strippers_read_unclosed_tags_once(pattern: re.Pattern[str]) -> None:
    """``<[^>]+>`` over 200,000 ``<`` without ``>`` took ~10 s; now milliseconds."""
    small, large = _seconds(pattern, "<" * 20_000), _seconds(pattern, "<" * 200_000)
    assert large < 0.5 and large < 30 * max(small, 0.001), (small, large)
    assert pattern.sub("", "<p>hi <b>there</b></p>") == "hi there"


UNITS = [
    " ",
    "\n",
    "\t",
    "1 ",
    "a.",
    "十",
    "1万",
    "60天",
    "10点到",
    "from 1 ",
    "no a ",
    "1,0",
    "@a",
]


@pytest.mark.parametrize("unit", UNITS, ids=[repr(u) for u in UNITS])
def test_goal_parser_is_quick_on_adversarial_goals(unit: str) -> None:
    """The longest goal accepted, made of one repeated unit: 4,000 blanks took 14 s."""
    from agents.goal.parser import parse_goal
    from userops.settings import TEXT_MAX_CHARS

    parse_goal("warm up the pattern cache: 召回 60天 预算5000元 10点到18点")
    t0 = time.perf_counter()
    parse_goal((unit * TEXT_MAX_CHARS)[:TEXT_MAX_CHARS])
    assert time.perf_counter() - t0 < 2.0

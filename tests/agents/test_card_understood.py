"""The card's "what I understood" and the steps its contract lists (arms, fallbacks)."""

from __future__ import annotations

from typing import Any

import pytest

from agents.goal.parser import parse_goal
from agents.nodes.delivery import split_blast
from agents.nodes.understood import understood
from userops.approvals.card import build_contract
from userops.dispatch.models import (
    ChannelBound,
    DispatchStep,
    FallbackRule,
    MessageContent,
    PreflightReport,
)

GOALS = {
    "en": "Win back customers in Shanghai who have not ordered in 60 days: push first, then SMS"
    " after 12 hours; budget 3,000; only between 10:00 and 20:00; no discounts.",
    "zh": "上海最近60天没下单的用户做一次召回，先发push，12小时没反应再发短信，预算3000元，"
    "只在10点到20点发，不要提折扣",
}


def _plan(goal: Any) -> dict[str, Any]:
    fb = {"after_seconds": 12 * 3600, "channel": "sms", "variant_id": None}
    rule = {"preferred": goal.constraints.channel_order, "fallback": fb}
    return {
        "objective": "win_back",
        "language": goal.language,
        "budget": goal.constraints.budget,
        "kpi": {"metric": "conversion_rate"},
        "steps": [{"step_id": "s1", "channel_rule": rule}],
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_understood_says_back_every_constraint(lang: str) -> None:
    goal = parse_goal(GOALS[lang], lang)
    u = understood(goal.model_dump(mode="json"), _plan(goal), 0)
    assert (u.objective, u.budget, u.window) == ("win_back", 3000.0, "10:00-20:00")
    assert u.channels == u.channel_order == ["app_push", "sms"]
    assert (u.fallback_channel, u.fallback_after_hours) == ("sms", 12.0)
    assert u.regions == ["shanghai"] and u.exclusions == ["discount"]
    assert "days_since_last_order>=60" in u.audience
    text = "\n".join(u.lines)
    for shown in ("app_push → sms", "3,000", "10:00-20:00", "discount", "12"):
        assert shown in text, (shown, text)
    assert ("Users who do not respond" in text) == (lang == "en")
    assert ("未回应" in text) == (lang == "zh")


def _report(step: DispatchStep) -> PreflightReport:
    n = len(step.assignments)
    fb = step.fallback
    bound = ChannelBound(channel="sms", max_messages=n, max_cost=0.05 * n) if fb else None
    return PreflightReport(
        total=n,
        would_send=n,
        deferred=0,
        suppressed={},
        holdout=0,
        cost=0.0,
        by_channel={"app_push": n},
        cost_by_channel={"app_push": 0.0},
        fallback=bound,
    )


def test_the_contract_lists_the_comparison_arm_and_every_fallback() -> None:
    contents = {
        v: MessageContent(variant_id=v, channel=ch, title="t", body="b", persona="offer")
        for v, ch in (("p", "app_push"), ("s", "sms"))
    }
    step = DispatchStep(
        campaign_id="c1",
        contents=contents,
        assignments=[(u, "app_push", "p") for u in range(100)],
        fallback=FallbackRule(channel="sms", variant_id="s"),
    )
    parts = [(s, _report(s)) for s in split_blast(step, 0.5)]
    contract = build_contract(parts)
    lines = [(s.step_id, s.kind, s.of) for s in contract.steps]
    assert lines == [
        ("s1", "main", None),
        ("s1-fb", "fallback", "s1"),
        ("s1b", "comparison", "s1"),
        ("s1b-fb", "fallback", "s1b"),
    ]
    assert contract.max_messages == 200  # 100 on push, and each of them may fall back to SMS
    by = {b.channel: b for b in contract.by_channel}
    assert by["app_push"].max_messages == by["sms"].max_messages == 100
    assert contract.max_cost == pytest.approx(5.0)
    follow = build_contract([(step, _report(step))], followup=True)
    assert [s.kind for s in follow.steps] == ["followup", "fallback"]

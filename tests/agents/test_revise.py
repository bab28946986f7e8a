"""Issue 14 item 4: a rejection's (or a comment's) reason produces a revision that addresses it.

The reason goes through the goal parser ("email only", "no discount", "budget 500", places,
audience words) plus the requests that only make sense about a plan shown ("smaller
audience", "cheaper", "friendlier", "no offer"); the next card says what changed since the
rejected revision, or that the reason could not be addressed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from agents.goal.parser import parse_goal
from agents.planning.revise import amend, is_question
from agents.runtime.threads import open_runtime
from tests.doubles import populate
from userops.settings import Settings

GOAL = "Win back customers who have not ordered in 60 days, budget 2000"
SHOWN = {"audience_size": 800, "preflight": {"cost": 40.0}}


@pytest.mark.parametrize(
    ("reason", "ask"),
    [
        ("smaller audience", "at most 400 recipients"),
        ("受众太大了，缩小一点", "at most 400 recipients"),
        ("email only", "channels only email"),
        ("不要发短信", "never sms"),
        ("no discount", "copy without discount"),
        ("friendlier, no offer", "friendlier tone"),
        ("friendlier, no offer", "copy without discount, coupon"),
        ("语气亲切一点", "friendlier tone"),
        ("cheaper please", "budget 20"),
        ("budget 500", "budget 500"),
        ("only customers in California", "audience: region in california"),
        ("write it in Chinese", "copy in zh"),
        ("预算降到五百", "budget 500"),
        ("limit it to 200 people", "at most 200 recipients"),
        ("use push instead of SMS", "never sms"),
        ("use push instead of SMS", "channels only app_push"),
    ],
)
def test_reasons_become_constraints(reason, ask):
    a = amend(parse_goal(GOAL), reason, SHOWN)
    assert ask in a.asks, a.asks
    assert a.goal.amendments == [reason]


def test_a_reason_never_widens_the_goal():
    goal = parse_goal("只发短信和推送，召回60天没下单的用户，预算800")
    a = amend(goal, "只发邮件，预算5000", SHOWN)
    assert a.goal.constraints.channels_allowed == ["sms", "app_push"]
    assert a.goal.constraints.budget == 800
    assert a.conflicts and "email" in a.conflicts[0] and a.understood


def test_narrowing_keeps_the_playbook_audience():
    a = amend(parse_goal("做一次召回"), "only high-value customers", SHOWN)
    fields = [p.field for p in a.goal.audience.all_]
    assert fields == ["lifecycle_stage", "ltv_tier"]


def test_questions_are_not_change_requests():
    assert is_question("why sms?") and is_question("为什么用短信")
    assert not is_question("email only")
    assert not amend(parse_goal(GOAL), "the copy is weird", SHOWN).understood


@pytest.fixture
def rt(sqlite_engine: Engine, home: Path) -> Iterator[Any]:
    populate(sqlite_engine, 300)
    with open_runtime(settings=Settings(home=home), engine=sqlite_engine) as runtime:
        yield runtime


def _card(res: Any) -> dict[str, Any]:
    card: dict[str, Any] = res.interrupt["action_requests"][0]["args"]
    return card


def _decide(rt: Any, thread: str, kind: str, message: str) -> Any:
    return rt.resume(thread, {"type": kind, "message": message}, actor="ana")


def _revision_note(card: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in card["findings"] if f["check"] == "revision")


def test_two_reasons_give_two_different_revisions(rt):
    plans = []
    for i, reason in enumerate(("email only", "smaller audience")):
        first = _card(rt.start(GOAL, thread_id=f"t{i}", actor="olivia"))
        card = _card(_decide(rt, f"t{i}", "reject", reason))
        note = _revision_note(card)
        assert note["severity"] == "info" and note["detail"]["addressed"], note
        assert reason in note["message"] and reason in card["plan"]["rationale"]
        plans.append((first, card))
    (first_a, email), (first_b, smaller) = plans
    assert email["plan"]["steps"][0]["channel_rule"]["preferred"] == ["email"]
    assert smaller["audience_size"] < first_b["audience_size"]
    assert email["plan"]["steps"][0] != smaller["plan"]["steps"][0]
    changed = {c["what"] for c in _revision_note(email)["detail"]["changes"]}
    assert "channels" in changed


def test_a_reason_it_cannot_address_is_said_on_the_card(rt):
    rt.start(GOAL, thread_id="t", actor="olivia")
    note = _revision_note(_card(_decide(rt, "t", "reject", "the copy is weird")))
    assert note["severity"] == "warn" and not note["detail"]["addressed"]
    assert note["message"].startswith("Could not address “the copy is weird”")
    assert "same as revision 1" in note["message"]


def test_a_comment_asking_for_a_change_makes_a_revision(rt, sqlite_engine):
    rt.start(GOAL, thread_id="t", actor="olivia")
    card = _card(_decide(rt, "t", "respond", "no discount, and friendlier"))
    assert card["revision"] == 2 and "offer" not in card["plan"]["steps"][0]["personas"]
    with sqlite_engine.connect() as conn:
        rows = conn.execute(text("SELECT status FROM approvals ORDER BY revision")).scalars()
        assert list(rows) == ["rejected", "pending"]
    assert "copy without discount" in _revision_note(card)["detail"]["asks"]

"""The agent designs journeys: goal reading, playbooks, evaluator, a version for approval."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from agents.evaluation.journey import JourneyEvaluator
from agents.goal.journey_intent import is_journey_goal
from agents.planning.journey.build import build_spec
from agents.planning.journey.propose import propose_journey
from agents.planning.journey.reader import read_goal
from userops.dispatch.policy import Policy
from userops.journeys.nodes import SendNode, WaitForEventNode, WaitNode
from userops.journeys.parse import parse_journey

EXAMPLE = "注册后1天推送上手教程，3天内没下单再发短信首单优惠，下单即退出"
EXAMPLE_EN = (
    "One day after sign-up, push a getting-started tutorial; if no order within 3 days, "
    "text them a first-order offer; exit when they order."
)


def _shape(goal: str) -> list[tuple[str, object]]:
    spec, _ = build_spec(read_goal(goal))
    out: list[tuple[str, object]] = []
    for n in spec.nodes:
        if isinstance(n, WaitNode) and n.duration:
            out.append(("wait", n.duration.seconds()))
        elif isinstance(n, WaitForEventNode):
            out.append(("await", (n.event.event, n.timeout.seconds(), n.happened)))
        elif isinstance(n, SendNode):
            out.append(("send", (tuple(n.channels), n.variants[0].persona)))
    return out


@pytest.mark.parametrize("goal", [EXAMPLE, EXAMPLE_EN])
def test_the_issue_example_in_both_languages(goal: str) -> None:
    spec, _ = build_spec(read_goal(goal))
    assert spec.trigger.kind == "event" and spec.trigger.event == "Signed Up"
    assert spec.goal is not None and spec.goal.event == "Order Completed"
    assert _shape(goal) == [
        ("wait", 86400),
        ("send", (("app_push",), "tutorial")),
        ("await", ("Order Completed", 3 * 86400, "converted")),
        ("send", (("sms",), "offer")),
    ]
    nudge = spec.node("send2")
    assert isinstance(nudge, SendNode) and "{offer}" in nudge.variants[0].body
    assert nudge.values["offer"]  # filled: the check refuses an unset {offer}


CART = {"kind": "event", "event": "Cart Abandoned"}
ORDER = {"kind": "event", "event": "Order Completed"}
CHURN = {"kind": "lifecycle", "to": ["churn_risk"], "from": []}


def _bday(at: str) -> dict[str, object]:
    return {"kind": "anniversary", "date": "birthday", "at": at}


@pytest.mark.parametrize(
    ("goal", "trigger", "first"),
    [
        ("做一个购物车放弃挽回旅程", CART, "wait"),
        ("Set up an abandoned cart journey", CART, "wait"),
        ("生日当天上午9点发祝福短信", _bday("09:00"), "send"),
        ("Send a birthday email at 8am", _bday("08:00"), "send"),
        ("用户进入流失风险时发邮件关怀", CHURN, "send"),
        ("When a user enters churn risk, check in by push", CHURN, "send"),
        ("每次下单后25天推送补货提醒", ORDER, "wait"),
        ("2 weeks after each order, email a restock reminder", ORDER, "wait"),
        ("下单后3天发邮件回访使用体验", ORDER, "wait"),
        ("Post-purchase follow-up by email 2 days after their order", ORDER, "wait"),
    ],
)
def test_playbook_goals(goal: str, trigger: dict[str, object], first: str) -> None:
    assert is_journey_goal(goal)
    spec, _ = build_spec(read_goal(goal))
    dumped = spec.dump()["trigger"]
    dumped.pop("where", None)
    assert dumped == trigger
    assert spec.nodes[0].kind == first
    assert parse_journey(spec.dump()) == spec  # valid as the CLI would read it


def test_durations_hours_weeks_and_rules() -> None:
    goal = "注册后2小时推送欢迎，1周内没下单发邮件优惠，每人只进入一次，最多2条"
    intent = read_goal(goal)
    spec, _ = build_spec(intent)
    assert _shape(goal)[0] == ("wait", 7200)
    assert ("await", ("Order Completed", 7 * 86400, "converted")) in _shape(goal)
    assert spec.reentry.policy == "never" and spec.limits.per_entry == 2
    en = build_spec(
        read_goal(
            "Whenever someone abandons a cart, wait 30 minutes, push a reminder;"
            " re-enter after 14 days"
        )
    )[0]
    assert en.reentry.policy == "after" and en.reentry.days == 14
    assert isinstance(en.nodes[0], WaitNode) and en.nodes[0].duration is not None
    assert en.nodes[0].duration.seconds() == 1800


def test_only_never_and_exclusions_are_kept() -> None:
    spec, _ = build_spec(read_goal("做个购物车挽回旅程，不要发短信，不要打折"))
    for n in spec.nodes:
        if isinstance(n, SendNode):
            assert "sms" not in n.channels
            assert all("{offer}" not in (v.body or "") for v in n.variants)


def test_not_joined_never_counts_as_one_shot() -> None:
    assert not is_journey_goal("召回60天没下单的用户，预算1500元。")
    assert not is_journey_goal("Remind repeat buyers to reorder consumables before they run out")
    assert not is_journey_goal("给注册满两年的会员做关怀，邮件就好")  # an audience, not a trigger


def test_questions_instead_of_dropping() -> None:
    assert read_goal("每当有事发生就发消息").questions  # no trigger it can name
    asked = read_goal("注册后1天发WhatsApp消息").questions
    assert any("WhatsApp" in q or "whatsapp" in q.lower() for q in asked)
    intent = read_goal("注册后1天推送教程，顺便把月亮摘下来")
    assert intent.not_understood == ["顺便把月亮摘下来"]


def test_evaluator_catches_a_dropped_item() -> None:
    intent = read_goal(EXAMPLE)
    spec, _ = build_spec(intent)
    data = spec.dump()
    data["nodes"][2]["timeout"] = {"days": 5}  # the goal says 3
    bad = parse_journey(data)
    v = JourneyEvaluator(policy=Policy.with_overrides({})).evaluate(intent, bad)
    assert v.verdict == "revise"
    assert [f.check for f in v.findings if f.severity == "error"] == ["goal_fidelity"]
    ok = JourneyEvaluator(policy=Policy.with_overrides({})).evaluate(intent, spec)
    assert ok.verdict == "pass", ok.findings


def test_evaluator_quiet_window_and_refusal() -> None:
    intent = read_goal(EXAMPLE)
    spec, _ = build_spec(intent)
    data = spec.dump()
    data["nodes"][1]["send_window"] = {"start": "23:00", "end": "06:00"}
    v = JourneyEvaluator(policy=Policy.with_overrides({})).evaluate(intent, parse_journey(data))
    assert any(f.check == "quiet_hours" and f.severity == "error" for f in v.findings)
    refused = read_goal("注册后发短信，忽略频控限制，多发几次")
    assert refused.forbidden


def test_propose_stores_a_version_awaiting_approval(any_engine: Engine) -> None:
    sqlite_engine = any_engine  # SQLite and PostgreSQL
    got = propose_journey(sqlite_engine, EXAMPLE, actor="ops")
    assert got["status"] == "awaiting_approval", got
    assert got["approval_id"] == f"{got['journey_id']}:v1" and got["version"] == 1
    assert got["forecast"] is not None and got["forecast"]["entries"] == 0  # an empty store
    assert [f["severity"] for f in got["findings"] if f["check"] == "forecast"] == ["info"]
    with sqlite_engine.connect() as conn:
        row = conn.execute(
            text("SELECT status FROM journey_versions WHERE journey_id = :j"),
            {"j": got["journey_id"]},
        ).one()
        audit = conn.execute(
            text("SELECT action FROM audit WHERE entity_id = :j ORDER BY id"),
            {"j": got["journey_id"]},
        ).all()
        outbox = conn.execute(text("SELECT COUNT(*) FROM outbox")).scalar()
    assert row[0] == "awaiting_approval"
    assert [a[0] for a in audit] == ["journey.create", "journey.propose"]
    assert outbox == 0


def test_propose_asks_and_stores_nothing(sqlite_engine: Engine) -> None:
    got = propose_journey(sqlite_engine, "注册后1天发WhatsApp消息", actor="ops")
    assert got["status"] == "needs_clarification" and got["journey_id"] is None
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM journeys")).scalar() == 0


def test_two_steps_in_one_clause_and_numerals_in_words() -> None:
    goal = (
        "When a customer's cart is abandoned, send an email after 2 hours and an SMS after "
        "another day; exit once they place an order"
    )
    assert [k for k, _ in _shape(goal)] == ["wait", "send", "wait", "send"]
    assert _shape(goal)[3] == ("send", (("sms",), "offer"))  # the playbook's 2nd message
    spec, _ = build_spec(
        read_goal("用户加购后三十分钟没下单就推送提醒，下单即退出，每人每七天最多进入一次")
    )
    assert spec.reentry.days == 7
    assert [n.kind for n in spec.nodes][:2] == ["wait_for_event", "send"]  # no 7-day wait


def test_an_offset_before_the_trigger_is_asked() -> None:
    assert read_goal("生日前一天发短信提醒领取生日礼").questions
    assert read_goal("Text them 2 days before their birthday").questions


def test_an_audience_becomes_a_gate_and_is_checked() -> None:
    intent = read_goal("When a high-value customer abandons a cart, push a reminder after 1 hour")
    spec, _ = build_spec(intent)
    gate = spec.nodes[0]
    assert gate.kind == "branch" and gate.otherwise == "outside"
    assert spec.node("outside").kind == "exit"
    data = spec.dump()
    data["nodes"] = data["nodes"][1:-1]  # the audience dropped
    v = JourneyEvaluator(policy=Policy.with_overrides({})).evaluate(intent, parse_journey(data))
    assert v.verdict == "revise" and "ltv_tier" in v.findings[0].message
    assert read_goal(EXAMPLE).audience is None  # 3天内没下单 is a step, not an audience


def test_weekday_times_per_user_limits_and_reentry() -> None:
    goal = "下单后3天，下周一上午10点发邮件回访，每人每周最多2条，可以重新进入"
    intent = read_goal(goal)
    spec, _ = build_spec(intent)
    until = spec.nodes[1]
    assert isinstance(until, WaitNode) and until.until is not None
    assert (until.until.time, until.until.weekdays) == ("10:00", ["mon"])
    assert spec.limits.per_user is not None
    assert (spec.limits.per_user.count, spec.limits.per_user.days) == (2, 7)
    assert spec.reentry.policy == "after"
    en = read_goal("After each order, wait 2 days, then on Friday at 6pm push a review request;"
                   " at most 3 messages a week per user")  # fmt: skip
    assert en.per_user == {"count": 3, "days": 7}
    assert [s.weekdays for s in en.steps if s.kind == "until"] == [["fri"]]
    data = spec.dump()
    data["limits"].pop("per_user")
    v = JourneyEvaluator(policy=Policy.with_overrides({})).evaluate(intent, parse_journey(data))
    assert v.verdict == "revise" and any("2/7d" in f.message for f in v.findings)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_playbook_builds_a_valid_spec(language: str) -> None:
    from agents.planning.journey.book import book
    from agents.planning.journey.intent import JourneyIntent

    for name, pb in book().playbooks.items():
        intent = JourneyIntent(text=name, language=language, playbook=name, trigger=pb.trigger)
        spec, notes = build_spec(intent)
        assert parse_journey(spec.dump()) == spec, name
        sends = [n for n in spec.nodes if isinstance(n, SendNode)]
        assert sends and all(v.language == language for n in sends for v in n.variants), name
        assert notes, name  # the playbook's steps are said back


def test_the_card_shows_the_proposal(sqlite_engine: Engine) -> None:
    from userops.journeys.views import show_journey

    got = propose_journey(sqlite_engine, EXAMPLE, actor="ops")
    shown = show_journey(sqlite_engine, got["journey_id"], with_forecast=False)
    prop = shown["versions"][0]["card"]["proposal"]
    assert prop["goal"] == EXAMPLE and prop["proposed_by"] == "ops"
    assert prop["assumed"] and isinstance(prop["findings"], list)


def test_a_hyphen_is_not_a_time_window() -> None:
    """``getting-started`` once hid ``at 10am`` (found by the journey-welcome-10am-en eval)."""
    intent = read_goal("The day after sign-up, push a getting-started tutorial at 10am")
    assert [(s.kind, s.time) for s in intent.steps][:2] == [("wait", None), ("until", "10:00")]
    assert read_goal("After sign-up push a welcome, only between 9am-6pm").steps[0].kind == "send"


def test_an_order_amount_filters_the_trigger_not_the_offer() -> None:
    intent = read_goal("订单金额超过500元的用户下单后3天发邮件回访")
    spec, _ = build_spec(intent)
    assert spec.trigger.kind == "event" and spec.trigger.where == {
        "amount": {"op": ">", "value": 500}
    }
    assert [s.offer for s in intent.steps if s.kind == "send"] == [None]
    ok = JourneyEvaluator(policy=Policy.with_overrides({})).evaluate(intent, spec)
    assert ok.verdict == "pass", ok.findings
    data = spec.dump()
    data["trigger"]["where"] = {}
    v = JourneyEvaluator(policy=Policy.with_overrides({})).evaluate(intent, parse_journey(data))
    assert v.verdict == "revise"  # the amount dropped is named
    en = build_spec(read_goal("After an order over $100, email a thank-you 2 days later"))[0]
    assert en.trigger.kind == "event" and en.trigger.where["amount"]["value"] == 100


def test_a_time_of_day_in_quiet_hours_is_a_warning() -> None:
    quiet = Policy.with_overrides({"quiet_hours": {"start": "21:00", "end": "09:00"}})
    intent = read_goal("注册后次日晚上11点推送上手教程")
    spec, _ = build_spec(intent)
    v = JourneyEvaluator(policy=quiet).evaluate(intent, spec)
    warned = [f for f in v.findings if f.check == "quiet_hours"]
    assert v.verdict == "pass" and [f.severity for f in warned] == ["warn"]
    assert "23:00" in warned[0].message and "09:00" in warned[0].message

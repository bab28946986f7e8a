from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.goal.parser import clarifying_question, parse_goal
from userops.plan import Objective

TODAY = date(2026, 11, 23)


def preds(goal):
    return {(p.field, p.op): p.value for p in goal.audience.all_ if hasattr(p, "field")}


def test_design_example_zh():
    g = parse_goal("最近60天没下单的高价值用户有流失风险，做一次召回，预算5000元，晚上不要打扰。")
    assert g.language == "zh"
    assert g.objective is Objective.WIN_BACK
    assert preds(g) == {("days_since_last_order", ">="): 60, ("ltv_tier", "in"): ["high"]}
    assert g.constraints.budget == 5000
    assert (g.constraints.send_window.start, g.constraints.send_window.end) == ("09:00", "21:00")
    assert g.not_understood == [] and g.forbidden == []


def test_design_example_en_matches_zh():
    en = parse_goal(
        "Win back high-value customers who have not ordered in 60 days; budget 5,000; "
        "no messages at night."
    )
    zh = parse_goal("最近60天没下单的高价值用户有流失风险，做一次召回，预算5000元，晚上不要打扰。")
    assert en.language == "en"
    assert en.objective == zh.objective
    assert en.audience == zh.audience
    assert en.constraints == zh.constraints


@pytest.mark.parametrize(
    ("text", "objective"),
    [
        ("给新用户做新手引导", Objective.ONBOARDING),
        ("Welcome new users and help them place a first order", Objective.ONBOARDING),
        ("提醒买过耗材的用户补货", Objective.REPURCHASE),
        ("Remind customers to reorder consumables", Objective.REPURCHASE),
        ("给成熟期用户做交叉销售", Objective.UPSELL),
        ("Cross-sell accessories to mature customers", Objective.UPSELL),
        ("高价值用户的VIP关怀", Objective.VIP_CARE),
        ("购买后做一次满意度调研", Objective.SURVEY),
        ("Send a survey after purchase", Objective.SURVEY),
        ("邀请成长期用户参加线下活动", Objective.EVENT_INVITE),
        ("Invite loyal customers to our launch event", Objective.EVENT_INVITE),
        ("对配送投诉的用户做服务补救", Objective.SERVICE_RECOVERY),
        ("Apologize to customers who complained about delivery", Objective.SERVICE_RECOVERY),
    ],
)
def test_objectives(text, objective):
    assert parse_goal(text).objective is objective


def test_channels_caps_deadline_kpi_zh():
    g = parse_goal(
        "给新用户做新手引导，只发短信和邮件，最多1万人，12月1日前完成，转化率提升2个点", today=TODAY
    )
    c = g.constraints
    assert c.channels_allowed == ["sms", "email"] and c.channels_forbidden == []
    assert c.max_recipients == 10_000
    assert c.deadline == "2026-12-01"
    assert g.kpi.metric == "conversion_rate" and g.kpi.target_uplift == pytest.approx(0.02)
    assert ("lifecycle_stage", "in") in preds(g)


def test_channels_caps_en():
    g = parse_goal(
        "Onboard new users by email only, at most 10,000 people, no SMS, by Dec 20", today=TODAY
    )
    c = g.constraints
    assert c.channels_allowed == ["email"]
    assert c.channels_forbidden == ["sms"]
    assert c.max_recipients == 10_000
    assert c.deadline == "2026-12-20"


def test_forbidden_channel_zh():
    g = parse_goal("召回流失用户，不要发短信，也别打电话")
    assert set(g.constraints.channels_forbidden) == {"sms", "voice_call"}


def test_service_recovery_audience_uses_feedback_topic():
    g = parse_goal("给满意度低、投诉过配送的用户做服务补救")
    assert g.objective is Objective.SERVICE_RECOVERY
    assert any(getattr(p, "field", None) == "satisfaction" for p in g.audience.all_)
    assert {p.where["topic"] for p in g.audience.any_} == {"delivery"}


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("召回流失用户，也给已退订的用户发", ["退订"]),
        ("Win back churned users, even those who opted out", ["consent"]),
        ("召回流失用户，凌晨3点发", ["夜间"]),
        ("Win back lapsed users at 3 am", ["quiet hours"]),
        ("召回流失用户，忽略频控", ["频次"]),
        ("Win back churned users and ignore the frequency cap", ["frequency caps"]),
        ("召回流失用户，在短信里写上客服电话", ["联系方式"]),
        ("Win back churned users and put our phone number in the copy", ["phone number"]),
    ],
)
def test_forbidden_requests_explained(text, kinds):
    g = parse_goal(text)
    assert g.objective is Objective.WIN_BACK
    assert len(g.forbidden) == 1
    assert all(k in g.forbidden[0] for k in kinds)


def test_missing_objective_asks_in_goal_language():
    zh, en = parse_goal("提升一下业绩，顺便看看天气"), parse_goal("do something about the weather")
    assert zh.objective is None and en.objective is None
    assert "召回" in clarifying_question(zh)
    assert "win-back" in clarifying_question(en)
    assert "顺便看看天气" in zh.not_understood


def test_not_understood_lists_unknown_clauses_only():
    g = parse_goal("召回高价值用户，预算3千，用紫色的字体")
    assert g.constraints.budget == 3000
    assert g.not_understood == ["用紫色的字体"]


def test_contact_data_in_goal_is_redacted_in_not_understood():
    g = parse_goal("召回高价值用户，联系13800138000")
    assert all("13800138000" not in s for s in g.not_understood)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("给过去30天内下过单的用户发满意度问卷", {("days_since_last_order", "<="): 30}),
        (
            "新注册7天内未下单的用户，引导完成首单",
            {("days_since_signup", "<="): 7, ("orders_total", "="): 0},
        ),
        ("对最近90天消费超过1000元的用户做VIP关怀", {("monetary_365d", ">="): 1000}),
        ("给价格敏感的用户做复购提醒", {("price_sensitivity", ">="): 0.6}),
        ("Win back churn-risk users", {("lifecycle_stage", "in"): ["churn_risk"]}),
        ("Cross-sell to customers interested in coffee", {("interests", "in"): ["coffee"]}),
    ],
)
def test_audience_phrases(text, expected):
    assert preds(parse_goal(text)) == expected


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ("提醒30天没复购的用户补货，短信+推送", ["sms", "app_push"]),
        ("做VIP关怀，用企业微信", ["wecom"]),
        ("Invite VIP members to the event, email or WeChat only", ["email", "wechat_template"]),
    ],
)
def test_channel_mentions(text, allowed):
    assert parse_goal(text).constraints.channels_allowed == allowed


def test_price_words_are_not_a_complaint_topic_without_a_complaint():
    assert parse_goal("给价格敏感的用户做复购提醒").audience.any_ == []
    assert parse_goal("对价格有投诉的用户做服务补救").audience.any_


GOALS = [
    "最近60天没下单的高价值用户有流失风险，做一次召回，预算5000元，晚上不要打扰。",
    "给过去30天内下过单的用户发满意度问卷",
    "新注册7天内未下单的用户，引导完成首单",
    "对最近90天消费超过1000元的用户做VIP关怀，用企业微信",
    "Send an apology to users whose delivery was late",
    "Upsell to customers interested in coffee, no phone calls",
    "给满意度低、投诉过配送的用户做服务补救",
]


@pytest.mark.parametrize("text", GOALS)
def test_parsed_audiences_are_valid_segments(text):
    from userops.cdp.segments.service import parse_spec

    spec = parse_goal(text).audience
    assert parse_spec(spec.dump()) == spec


def test_goal_is_said_back_in_its_language():
    from agents.goal.text import explain_goal

    zh = explain_goal(
        parse_goal("最近60天没下单的高价值用户，做一次召回，预算5000元，只发短信，转化率提升2个点")
    )
    assert "目标: 召回" in zh and "预算: 5000" in zh and "只用渠道: sms" in zh and "+2pp" in zh
    assert "受众: 距上次下单天数 >= 60; 价值等级 属于 high" in zh
    en = explain_goal(parse_goal("Apologize to customers whose satisfaction is low, no SMS"))
    assert "Audience: satisfaction <= 2.5" in en and "Not channels: sms" in en
    en = explain_goal(parse_goal("do something nice"))
    assert "Objective: unknown" in en and "Not understood: do something nice" in en


@pytest.mark.parametrize("text", ["召回流失用户，2026-13-45前完成", "召回流失用户，2月30日前完成"])
def test_impossible_dates_are_not_understood_not_a_crash(text):
    g = parse_goal(text, today=TODAY)
    assert g.constraints.deadline is None
    assert g.objective is Objective.WIN_BACK
    assert len(g.not_understood) == 1


def test_percentages_are_not_recipient_caps():
    g = parse_goal("Win back churned users with up to 50% off, at most 2,000 users")
    assert g.constraints.max_recipients == 2000
    assert parse_goal("Upsell with up to 30% off").constraints.max_recipients is None


WORDS = [
    "召回",
    "高价值",
    "60天没下单",
    "预算5000元",
    "只发短信",
    "不要发短信",
    "最多1万人",
    "12月1日前",
    "转化率提升2个点",
    "凌晨3点发",
    "Win back",
    "budget 5,000",
    "email only",
    "no SMS",
    "at most 10,000",
    "by Dec 1",
    "2026-02-30",
    "13800138000",
    "a@b.com",
    "对咖啡感兴趣",
    "新注册7天内未下单",
    "消费超过1000元",
    "价格敏感",
    "投诉配送",
    "{name}",
    "，",
    "。",
    " ",
    "%",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), max_size=10))
def test_parse_goal_never_crashes_and_yields_valid_segments(parts):
    from userops.cdp.segments.service import parse_spec
    from userops.privacy import find_contact_data

    goal = parse_goal("".join(parts), today=TODAY)
    assert parse_spec(goal.audience.dump()) == goal.audience
    assert all(not find_contact_data(s) for s in goal.not_understood)

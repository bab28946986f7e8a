"""The goal said back to the operator, in the goal's language (redacted)."""

from __future__ import annotations

from prompts.catalog import say
from userops.plan import Goal
from userops.privacy import redact

_OBJECTIVES = {
    "zh": {
        "win_back": "召回",
        "onboarding": "新客引导",
        "repurchase_reminder": "复购提醒",
        "upsell_cross_sell": "交叉销售/追加销售",
        "vip_care": "VIP关怀",
        "survey_feedback": "满意度调研",
        "event_invitation": "活动邀请",
        "service_recovery": "服务补救",
    },
    "en": {
        "win_back": "win-back",
        "onboarding": "onboarding",
        "repurchase_reminder": "repurchase reminder",
        "upsell_cross_sell": "upsell/cross-sell",
        "vip_care": "VIP care",
        "survey_feedback": "survey/feedback",
        "event_invitation": "event invitation",
        "service_recovery": "service recovery",
    },
}
_LABELS = {
    "zh": (
        "目标",
        "受众",
        "预算",
        "人数上限",
        "只用渠道",
        "不用渠道",
        "发送时段",
        "截止",
        "指标",
        "没有理解",
        "不会执行",
        "未确定",
        "我的假设",
    ),
    "en": (
        "Objective",
        "Audience",
        "Budget",
        "Max recipients",
        "Only channels",
        "Not channels",
        "Send window",
        "Deadline",
        "KPI",
        "Not understood",
        "Will not do",
        "unknown",
        "What I assumed",
    ),
}


_MORE = {
    "zh": {
        "order": "渠道顺序",
        "wait": "{h}小时未响应后",
        "regions": "地区",
        "exclude": "文案不含",
        "ask": "需要确认",
    },
    "en": {
        "order": "Channel order",
        "wait": "after {h} h without a response",
        "regions": "Regions",
        "exclude": "Copy without",
        "ask": "To confirm",
    },
}

_FIELDS = {
    "zh": {
        "days_since_last_order": "距上次下单天数",
        "days_since_signup": "注册天数",
        "orders_total": "累计订单数",
        "monetary_365d": "近一年消费额",
        "price_sensitivity": "价格敏感度",
        "satisfaction": "满意度",
        "ltv_tier": "价值等级",
        "lifecycle_stage": "生命周期",
        "interests": "兴趣",
    },
    "en": {
        "days_since_last_order": "days since last order",
        "days_since_signup": "days since signup",
        "orders_total": "orders",
        "monetary_365d": "spend in the last year",
        "price_sensitivity": "price sensitivity",
        "satisfaction": "satisfaction",
        "ltv_tier": "value tier",
        "lifecycle_stage": "lifecycle stage",
        "interests": "interests",
    },
}
_OPS = {"in": {"zh": "属于", "en": "in"}, "=": {"zh": "=", "en": "="}}


def describe_audience(goal: Goal) -> list[str]:
    """Return the goal's audience predicates as short phrases in the goal's language."""
    lang = goal.language
    out = []
    for p in goal.audience.all_:
        field = getattr(p, "field", None)
        if field is None:
            event = getattr(p, "event", "")
            days = getattr(p, "within_days", None)
            out.append(f"{event} ≤{days}d" if days else str(event))
            continue
        op = _OPS.get(p.op, {}).get(lang, p.op)  # type: ignore[union-attr]
        value = p.value  # type: ignore[union-attr]
        shown = (
            "/".join(map(str, value))
            if isinstance(value, list)
            else f"{value:g}"
            if isinstance(value, float)
            else str(value)
        )
        out.append(f"{_FIELDS[lang].get(field, field)} {op} {shown}")
    topics = sorted({str(p.where.get("topic")) for p in goal.audience.any_ if hasattr(p, "where")})
    if topics:
        out.append(say("goal.feedback_topic", lang, topics="/".join(topics)))
    return out


def objective_name(objective: str, lang: str) -> str:
    """Return the operator-facing name of ``objective`` in ``lang`` (the value when unknown)."""
    return _OBJECTIVES.get(lang, _OBJECTIVES["en"]).get(objective, objective)


def explain_goal(goal: Goal) -> str:
    """Return one line per understood part of ``goal`` in its language."""
    lang = goal.language
    (obj, aud, bud, cap, only, never, win, dl, kpi, nu, fb, unknown, assumed) = _LABELS[lang]
    c = goal.constraints
    name = _OBJECTIVES[lang].get(goal.objective.value, "") if goal.objective else unknown
    lines = [f"{obj}: {name}"]
    audience = describe_audience(goal)
    if audience:
        lines.append(f"{aud}: " + "; ".join(audience))
    if c.budget is not None:
        lines.append(f"{bud}: {c.budget:g}")
    if c.max_recipients is not None:
        lines.append(f"{cap}: {c.max_recipients}")
    if c.channels_allowed:
        lines.append(f"{only}: " + ", ".join(c.channels_allowed))
    if c.channels_forbidden:
        lines.append(f"{never}: " + ", ".join(c.channels_forbidden))
    more = _MORE[lang]
    if c.channel_order:
        h = c.fallback_after_hours
        wait = " (" + more["wait"].format(h=f"{h:g}") + ")" if h else ""
        lines.append(f"{more['order']}: " + " → ".join(c.channel_order) + wait)
    if c.regions:
        lines.append(f"{more['regions']}: " + ", ".join(c.regions))
    if c.content_exclusions:
        lines.append(f"{more['exclude']}: " + ", ".join(c.content_exclusions))
    if c.send_window:
        lines.append(f"{win}: {c.send_window.start}–{c.send_window.end}")
    if c.deadline:
        lines.append(f"{dl}: {c.deadline}")
    target = f" +{goal.kpi.target_uplift * 100:g}pp" if goal.kpi.target_uplift else ""
    lines.append(f"{kpi}: {goal.kpi.metric}{target}")
    if goal.assumed:
        lines.append(f"{assumed}: " + "; ".join(goal.assumed))
    if goal.not_understood:
        lines.append(f"{nu}: " + "; ".join(goal.not_understood))
    if goal.forbidden:
        lines.append(f"{fb}: " + "; ".join(goal.forbidden))
    for q in goal.questions:
        lines.append(f"{more['ask']}: {q.question}")
    return redact("\n".join(lines))

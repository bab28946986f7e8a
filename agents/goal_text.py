"""The goal said back to the operator, in the goal's language (redacted)."""

from __future__ import annotations

from agents.schema import Goal
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
    ),
}


def explain_goal(goal: Goal) -> str:
    """Return one line per understood part of ``goal`` in its language."""
    lang = goal.language
    (obj, aud, bud, cap, only, never, win, dl, kpi, nu, fb, unknown) = _LABELS[lang]
    c = goal.constraints
    name = _OBJECTIVES[lang].get(goal.objective.value, "") if goal.objective else unknown
    lines = [f"{obj}: {name}"]
    if goal.audience_hints:
        lines.append(f"{aud}: " + "; ".join(goal.audience_hints))
    if c.budget is not None:
        lines.append(f"{bud}: {c.budget:g}")
    if c.max_recipients is not None:
        lines.append(f"{cap}: {c.max_recipients}")
    if c.channels_allowed:
        lines.append(f"{only}: " + ", ".join(c.channels_allowed))
    if c.channels_forbidden:
        lines.append(f"{never}: " + ", ".join(c.channels_forbidden))
    if c.send_window:
        lines.append(f"{win}: {c.send_window.start}–{c.send_window.end}")
    if c.deadline:
        lines.append(f"{dl}: {c.deadline}")
    target = f" +{goal.kpi.target_uplift * 100:g}pp" if goal.kpi.target_uplift else ""
    lines.append(f"{kpi}: {goal.kpi.metric}{target}")
    if goal.not_understood:
        lines.append(f"{nu}: " + "; ".join(goal.not_understood))
    if goal.forbidden:
        lines.append(f"{fb}: " + "; ".join(goal.forbidden))
    return redact("\n".join(lines))

"""The plan's rationale, in the operator's language: what, for whom, how, and what was refused."""

from __future__ import annotations

from agents.schema import Finding
from tools.content import templates
from tools.segments import AudienceStats
from userops.plan import Goal


def rationale(
    goal: Goal,
    stats: AudienceStats,
    personas: list[str],
    channels: list[str],
    lifecycle: list[str],
    feedback: list[Finding],
    languages: list[str] | None = None,
) -> str:
    """Explain the plan: audience, personas, channels, lifecycle themes, refusals, revisions."""
    themes = templates(goal.language)["lifecycle"]
    theme = "; ".join(f"{s}: {themes[s]}" for s in lifecycle if s in themes)
    zh = goal.language == "zh"
    hints = ", ".join(goal.audience_hints)
    who, how = "/".join(personas), " > ".join(channels)
    if zh:
        head = (
            f"受众 {stats.size} 人（{hints or '按打法默认受众'}）；内容按人群偏好分为 {who}，"
            f"渠道优先级 {how}；保留对照组以衡量增量。"
        )
    else:
        head = (
            f"Audience of {stats.size} users ({hints or 'playbook default'}); content per "
            f"persona {who}; channels in order {how}; a holdout measures the uplift."
        )
    lines = [head]
    if theme:
        lines.append(("生命周期打法：" if zh else "Lifecycle playbook: ") + theme)
    if languages and (len(languages) > 1 or languages[0] != goal.language):
        langs = "/".join(languages)
        lines.append(
            f"文案语言：{langs}（按每位用户资料中的语言）"
            if zh
            else f"Copy in {langs} (each recipient's profile language)"
        )
    if goal.forbidden:
        lines.append(("不会执行：" if zh else "Will not do: ") + "; ".join(goal.forbidden))
    if goal.not_understood:
        lines.append(("没有理解：" if zh else "Not understood: ") + "; ".join(goal.not_understood))
    fixed = sorted(
        {f.check for f in feedback if f.severity in ("error", "block") and f.check != "approver"}
    )
    fixed += [f"“{f.message}”" for f in feedback if f.check == "approver"]
    if fixed:
        lines.append(("本次修订处理了：" if zh else "This revision addresses: ") + ", ".join(fixed))
    return "\n".join(lines)

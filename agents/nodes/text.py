"""Operator-facing lines of the loop in Chinese and English (not LLM prompts)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

LINES: dict[str, dict[str, str]] = {
    "refused": {
        "zh": "这个目标包含无法执行的要求：{items}",
        "en": "This goal asks for something userops will not do: {items}",
    },
    "assumed": {
        "zh": "我的假设：{items}",
        "en": "What I assumed: {items}",
    },
    "not_understood": {
        "zh": "以下内容没有理解，已忽略：{items}",
        "en": "I did not understand these parts and ignored them: {items}",
    },
    "planned": {
        "zh": "方案第 {revision} 版：{name}，{steps} 个步骤，受众约 {audience} 人。",
        "en": "Plan revision {revision}: {name}, {steps} step(s), audience about {audience}.",
    },
    "revise": {
        "zh": "评估未通过（第 {round} 轮），修改方案：{items}",
        "en": "Evaluator asked for a revision (round {round}): {items}",
    },
    "escalate": {
        "zh": "评估 {round} 轮后仍有问题，连同评估意见提交审批人决定。",
        "en": "Still not passing after {round} rounds; escalated to the approver with findings.",
    },
    "blocked": {
        "zh": "评估阻止了此方案：{items}",
        "en": "The evaluator blocked this plan: {items}",
    },
    "awaiting": {
        "zh": "已提交审批 {approval_id}（风险等级 {risk}），等待审批人决定。",
        "en": "Sent for approval {approval_id} (risk {risk}); waiting for an approver.",
    },
    "refused_decision": {
        "zh": "审批决定未被接受：{reason}",
        "en": "The decision was not accepted: {reason}",
    },
    "decision_not_recorded": {
        "zh": "审批决定未能记录（{reason}），仍在等待审批。",
        "en": "The decision could not be recorded ({reason}); still waiting for a decision.",
    },
    "comment": {"zh": "审批人留言：{message}", "en": "Approver's comment: {message}"},
    "rejected": {
        "zh": "审批人驳回：{message}。正在修改方案。",
        "en": "Rejected by the approver: {message}. Revising the plan.",
    },
    "edited": {
        "zh": "审批人修改了方案，重新评估。",
        "en": "The approver edited the plan; re-evaluating.",
    },
    "dispatched": {
        "zh": "已发送 {sent}，延后 {deferred}，拦截 {suppressed}。",
        "en": "Sent {sent}, deferred {deferred}, suppressed {suppressed}.",
    },
    "queued": {
        "zh": "{queued} 条消息已入队，由 userops worker run 通过已配置的渠道发送。",
        "en": "{queued} message(s) queued: userops worker run delivers them through the"
        " configured channels.",
    },
    "measured": {
        "zh": "{metric}：实验组 {treatment:.2%}，对照组 {holdout:.2%}，提升 {uplift:+.2%}"
        "（95% CI {lo:+.2%} ~ {hi:+.2%}）。",
        "en": "{metric}: treatment {treatment:.2%}, holdout {holdout:.2%}, uplift {uplift:+.2%} "
        "(95% CI {lo:+.2%} to {hi:+.2%}).",
    },
    "baseline": {
        "zh": "统一内容群发组提升 {uplift:+.2%}（同一对照组）。",
        "en": "One-size-fits-all blast arm uplift {uplift:+.2%} (same holdout).",
    },
    "adjusted": {
        "zh": "协变量调整后（用户分配前一年的下单和点击）：提升 {uplift:+.2%}"
        "（95% CI {lo:+.2%} ~ {hi:+.2%}，方差减少 {vr:.1%}）。",
        "en": "Covariate-adjusted (each member's orders and clicks in the year before): uplift "
        "{uplift:+.2%} (95% CI {lo:+.2%} to {hi:+.2%}; variance reduced {vr:.1%}).",
    },
    "followup": {
        "zh": "提议后续步骤 {step}，需再次审批。",
        "en": "Proposing follow-up step {step}; it needs approval again.",
    },
    "done": {"zh": "活动完成，经验已记录。", "en": "Campaign finished; lessons recorded."},
}


def line(key: str, lang: str | None, **kw: Any) -> str:
    """Return the line ``key`` in ``lang`` (default Chinese) formatted with ``kw``."""
    table = LINES[key]
    return table.get(lang or "zh", table["zh"]).format(**kw)


def say(key: str, lang: str | None, **kw: Any) -> AIMessage:
    """Return the line ``key`` as an assistant message."""
    return AIMessage(content=line(key, lang, **kw), name="userops")

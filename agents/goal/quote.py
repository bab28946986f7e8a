"""Quote the operator's (or the approver's) words behind a constraint in a finding.

A finding about an explicit constraint says which words it holds the plan to: the first
clause of the goal (or of an approver's reason folded into it, newest first) that speaks
about that kind of constraint. Clauses are cut at sentence and list punctuation (a comma
inside a number such as ``1,500`` is kept); every pattern is a bounded alternation.
"""

from __future__ import annotations

import re

from agents.goal import lexicon as lx
from agents.goal import words as gw
from agents.schema import Finding
from prompts.catalog import say
from userops.plan import Goal
from userops.privacy import redact

_CLAUSE = re.compile(r"(?:[^，。;；!！?？\n,.]|[,.](?=\d))+")
MAX_QUOTE = 80
"""Characters of a quoted clause (longer ones are cut with an ellipsis)."""

_CHANNELS = "|".join(p for _k, p in lx.CHANNEL_WORDS)
_KINDS: dict[str, str] = {
    "channel": _CHANNELS,
    "channel_order": r"先|然后|再发|兜底|优先|没(?:打开|回应|反应|回复)|\bfirst\b|\bthen\b"
    r"|fall ?back|\bif (?:un|no|not|they)|unopened|later",
    "budget": r"预算|花费|成本|费用|花不|不超过\s*\d|\d\s*[元块]|[¥$￥]|budget|spend|cost"
    r"|\bunder \$?\d",
    "max_recipients": r"最多|上限|以内|不超过|\bcap\b|at most|up to|no more than|recipients"
    r"|\d\s*(?:人|位|名)",
    "content_exclusion": "|".join(p for _k, p in gw.EXCLUSIONS) + r"|\boffers?\b",
    "send_window": r"\d\s*[点时]|晚上|早上|上午|下午|中午|夜里|凌晨|打扰|工作时间|\d{1,2}:\d\d"
    r"|\b\d{1,2}\s*(?:am|pm)\b|before \d|after \d|window|night|morning|evening|business hours",
    "language": r"英文|英语|中文|汉语|english|chinese",
    "audience": r"天|月|年|周|没有?|未|下单|购买|买过|消费|用户|会员|客户|顾客|地区|城市|省"
    r"|customers?|users?|members?|buyers|shoppers|days?|months?|weeks?|ordered|bought|spent"
    r"|\bin [A-Z]|\bfrom [A-Z]",
    "holdout": r"对照|holdout|control group",
}
_PATTERNS = {k: re.compile(v, re.I) for k, v in _KINDS.items()}


def sources(goal: Goal) -> list[tuple[str, str]]:
    """The texts a constraint may come from: the approver's reasons (newest first), the goal."""
    return [("approver", a) for a in reversed(goal.amendments)] + [("operator", goal.text)]


def quote(goal: Goal, kind: str) -> tuple[str, str] | None:
    """Return ``(who, words)``: the first clause about ``kind``, or ``None``."""
    pattern = _PATTERNS.get(kind)
    if pattern is None:
        return None
    for who, text in sources(goal):
        for m in _CLAUSE.finditer(text[:1000]):
            clause = m.group(0).strip()
            if clause and pattern.search(clause):
                cut = clause if len(clause) <= MAX_QUOTE else clause[: MAX_QUOTE - 1] + "…"
                return who, redact(cut)
    return None


def with_quotes(goal: Goal, findings: list[Finding]) -> list[Finding]:
    """Add the quoted words to every error or block finding about an explicit constraint."""
    out: list[Finding] = []
    for f in findings:
        asked = f.check != "language" or goal.constraints.content_language is not None
        q = quote(goal, f.check) if asked and f.severity in ("error", "block") else None
        if q is None or "words" in f.detail:
            out.append(f)
            continue
        who, words = q
        key = "goal.quote_approver" if who == "approver" else "goal.quote_user"
        tail = say(key, goal.language, words=words)
        detail = {**f.detail, "words": words, "said_by": who}
        out.append(f.model_copy(update={"message": f.message + tail, "detail": detail}))
    return out

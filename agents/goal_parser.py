"""Deterministic, bilingual goal parsing: the operator's words → a :class:`Goal`.

Regular expressions over the lexicon in :mod:`agents.lexicon` pick out the objective, audience
(recency, value tier, lifecycle, interests, feedback topics), budget, channels, sending window,
recipient cap, deadline and KPI. Everything matched is remembered by position; the clauses
nothing matched are listed in ``Goal.not_understood`` and said back to the operator. Requests
the platform will not carry out land in ``Goal.forbidden`` with the reason.
"""

from __future__ import annotations

import re
from datetime import date

from agents import lexicon as lx
from agents.goal_extract import Scan, extract_constraints, extract_kpi
from agents.schema import Goal, KpiTarget, Objective
from userops.cdp.segment_spec import EventPredicate, SegmentSpec, TraitPredicate
from userops.privacy import redact

_CJK = re.compile(r"[\u4e00-\u9fff]")
_CLAUSES = re.compile(r"[^，,。.;；!！?？\n]+")
_FILLER = re.compile(
    r"^\s*(请|帮我|麻烦|做一次|做个|一下|一次|吧|谢谢|please|thanks?|and|then|also|ok)?\s*$", re.I
)


def detect_language(text: str) -> str:
    """Return ``zh`` when the text contains Chinese characters, else ``en``."""
    return "zh" if _CJK.search(text) else "en"


def parse_goal(text: str, language: str | None = None, *, today: date | None = None) -> Goal:
    """Understand an operator's goal, in Chinese or English.

    Args:
        text: The operator's words.
        language: ``zh`` or ``en``; detected from the text when ``None``.
        today: Reference date for relative deadlines (default: today).

    Returns:
        The goal as understood, with what was not understood and what is forbidden.
    """
    lang = language if language in ("zh", "en") else detect_language(text)
    scan = Scan(text)
    objective = _objective(scan)
    audience, hints = _audience(scan)
    constraints = extract_constraints(scan, today or date.today())
    kpi = extract_kpi(scan)
    forbidden = _forbidden(scan, lang)
    return Goal(
        text=text,
        language=lang,
        objective=objective,
        audience_hints=hints,
        audience=audience,
        constraints=constraints,
        kpi=kpi if kpi is not None else KpiTarget(),
        not_understood=_leftovers(scan),
        forbidden=forbidden,
    )


def clarifying_question(goal: Goal) -> str:
    """Return the question to ask when the goal's objective is missing, in its language."""
    if goal.language == "en":
        return (
            "What is this campaign for: win-back, onboarding, repurchase reminder, "
            "upsell/cross-sell, VIP care, survey/feedback, event invitation or service recovery?"
        )
    return (
        "这次活动的目的是什么：召回、新客引导、复购提醒、交叉销售、VIP关怀、"
        "满意度调研、活动邀请，还是服务补救？"
    )


def describe_goal(goal: Goal) -> str:
    """Return a short, redacted description of the goal for the operator and for prompts."""
    c = goal.constraints
    parts = [f"objective={goal.objective.value if goal.objective else '?'}"]
    if goal.audience_hints:
        parts.append("audience: " + "; ".join(goal.audience_hints))
    if c.budget is not None:
        parts.append(f"budget={c.budget:g}")
    if c.max_recipients is not None:
        parts.append(f"max_recipients={c.max_recipients}")
    if c.channels_allowed:
        parts.append("only " + ",".join(c.channels_allowed))
    if c.channels_forbidden:
        parts.append("not " + ",".join(c.channels_forbidden))
    if c.send_window:
        parts.append(f"window {c.send_window.start}-{c.send_window.end}")
    if c.deadline:
        parts.append(f"deadline {c.deadline}")
    parts.append(f"kpi={goal.kpi.metric}")
    return redact(" | ".join(parts))


def _objective(scan: Scan) -> Objective | None:
    for objective, pattern in lx.OBJECTIVE_WORDS:
        if scan.find(pattern):
            return objective
    return None


def _audience(scan: Scan) -> tuple[SegmentSpec, list[str]]:
    preds: list[TraitPredicate | EventPredicate] = []
    hints: list[str] = []
    any_: list[TraitPredicate | EventPredicate] = []
    m = scan.find(
        r"(?:最近|近|超过|已经?)?\s*(\d+)\s*(?:天|日)\s*(?:内)?\s*(?:没有?|未|无)\s*(?:下单|购买|下过单|买过?|消费)"
        r"|(?:not|haven't|hasn't|have not|has not|no|without an?)\s+(?:ordered|purchased|bought"
        r"|placed an order|orders?|purchases?)(?:\s+anything)?\s+(?:in|for|within)\s+(?:the\s+"
        r"(?:last|past)\s+)?(\d+)\s+days"
    )
    if m:
        days = int(m.group(1) or m.group(2))
        preds.append(TraitPredicate(field="days_since_last_order", op=">=", value=days))
        hints.append(f"days_since_last_order>={days}")
    else:
        m = scan.find(
            r"(?:最近|近)\s*(\d+)\s*天\s*(?:内)?\s*(?:下过单|有下单|购买过|买过)"
            r"|(?:ordered|purchased|bought)\s+(?:in|within)\s+(?:the\s+(?:last|past)\s+)?(\d+)\s+days"
        )
        if m:
            days = int(m.group(1) or m.group(2))
            preds.append(TraitPredicate(field="days_since_last_order", op="<=", value=days))
            hints.append(f"days_since_last_order<={days}")
    for field, table in (("ltv_tier", lx.LTV_WORDS), ("lifecycle_stage", lx.LIFECYCLE_WORDS)):
        values = [v for v, pattern in table if scan.find(pattern)]
        if field == "lifecycle_stage" and preds and values == ["churn_risk"]:
            hints.append("churn risk (covered by recency)")
            continue
        if values:
            preds.append(TraitPredicate(field=field, op="in", value=values))
            hints.append(f"{field} in {values}")
    preds += _interests(scan, hints)
    if scan.find(r"满意度低|不满意|差评|低评分|unhappy|dissatisfied|low (satisfaction|rating)"):
        preds.append(TraitPredicate(field="satisfaction", op="<=", value=2.5))
        hints.append("satisfaction<=2.5")
    for topic, pattern in lx.TOPIC_WORDS:
        if scan.find(pattern):
            for event in ("feedback", "ticket", "survey"):
                any_.append(EventPredicate(event=event, where={"topic": topic}, within_days=90))
            hints.append(f"feedback topic={topic}")
    if scan.find(r"(购买|下单|买)(后|之后)|after (their |a )?(purchase|order)|recent buyers"):
        preds.append(EventPredicate(event="order", within_days=14))
        hints.append("ordered in the last 14 days")
    return SegmentSpec.model_validate({"all": preds, "any": any_}), hints


def _interests(scan: Scan, hints: list[str]) -> list[TraitPredicate | EventPredicate]:
    found: list[str] = []
    m = scan.find(
        r"对\s*(\S{1,6}?)\s*(?:感兴趣|有兴趣)|喜欢\s*(\S{1,4}?)的|interested in ([a-z][a-z-]*)"
    )
    if m:
        word = (m.group(1) or m.group(2) or m.group(3) or "").strip()
        found.append(lx.INTEREST_ZH.get(word, word.lower()))
    for zh, en in lx.INTEREST_ZH.items():
        if en not in found and scan.find(re.escape(zh) + r"(?:类|爱好者|用户|品类)"):
            found.append(en)
    if not found:
        return []
    hints.append(f"interests contain {found}")
    return [TraitPredicate(field="interests", op="in", value=found)]


def _forbidden(scan: Scan, lang: str) -> list[str]:
    out: list[str] = []
    for _kind, pattern, reason in lx.FORBIDDEN:
        m = scan.find(pattern)
        if m:
            out.append(f"{m.group(0).strip()}: {reason[lang]}")
    return out


def _leftovers(scan: Scan) -> list[str]:
    out = []
    for m in _CLAUSES.finditer(scan.text):
        if scan.covered(m.start(), m.end()):
            continue
        clause = m.group(0).strip()
        if clause and not _FILLER.match(clause) and not clause.isdigit():
            out.append(redact(clause))
    return out

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
from agents.goal_audience import extract_audience
from agents.goal_extract import Scan, extract_constraints, extract_kpi
from agents.schema import Goal, KpiTarget, Objective
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
    audience, hints = extract_audience(scan)
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

"""Deterministic, bilingual goal parsing: the operator's words → a :class:`Goal`.

The text is normalized first (numerals in digits, :mod:`agents.goal.numbers`); linear-time
patterns over the lexicon then pick out the audience (recency, frequency, spend, value tier,
lifecycle, interests, places), the objective, budget, recipient cap, sending window, deadline,
channels (allowed, forbidden, order and fallback wait), content exclusions and KPI. Everything
matched is remembered by position. Explicit words the parser recognizes but cannot map (an
unknown channel, a place it cannot list, a number with no unit) become ``Goal.questions``;
the clauses nothing matched are listed in ``Goal.not_understood``. Requests the platform will
not carry out land in ``Goal.forbidden`` with the reason.
"""

from __future__ import annotations

import re
from datetime import date

from agents.goal import lexicon as lx
from agents.goal import words as gw
from agents.goal.audience import extract_audience
from agents.goal.channels import extract_channels
from agents.goal.content import extract_content_language, extract_exclusions
from agents.goal.extract import Scan, extract_constraints, extract_kpi
from agents.goal.numbers import MAX_GOAL_CHARS
from prompts.catalog import say
from userops.plan import Goal, KpiTarget, Objective
from userops.privacy import redact

_CJK = re.compile(r"[\u4e00-\u9fff]")
_CLAUSES = re.compile(r"[^，,。.;；!！?？\n]+")
_DATE_OR_TIME = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\s*月\s*\d{1,2}\s*[日号]?|\d{1,2}:\d{2}")
_NUMBER = re.compile(r"(?<![A-Za-z\d.])\d[\d,]{0,12}(?:\.\d{1,4})?(?![A-Za-z\d%])")
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
    audience, hints, regions = extract_audience(scan, lang)
    objective = _objective(scan)
    constraints = extract_constraints(scan, today or date.today(), lang)
    forbidden = _forbidden(scan, lang)
    channels = extract_channels(scan, lang)
    constraints.channels_allowed = channels.allowed
    constraints.channels_forbidden = channels.forbidden
    constraints.channel_order = channels.order
    constraints.fallback_after_hours = channels.wait_hours
    constraints.regions = regions
    constraints.content_exclusions = extract_exclusions(scan)
    constraints.content_language = extract_content_language(scan)
    kpi = extract_kpi(scan)
    _unmapped_numbers(scan, lang)
    return Goal(
        text=text,
        language=lang,
        objective=objective,
        audience_hints=hints,
        audience=audience,
        constraints=constraints,
        kpi=kpi if kpi is not None else KpiTarget(),
        not_understood=_leftovers(scan, lang, len(text)),
        forbidden=forbidden,
        questions=scan.asks,
    )


def clarifying_question(goal: Goal) -> str:
    """Return what to ask before planning, in the goal's language.

    The questions about explicit words the parser could not use come first; the objective
    question follows when the objective is missing.
    """
    asked = [q.question for q in goal.questions]
    if goal.objective is not None and asked:
        return "\n".join(asked)
    if goal.language == "en":
        objective = (
            "What is this campaign for: win-back, onboarding, repurchase reminder, "
            "upsell/cross-sell, VIP care, survey/feedback, event invitation or service recovery?"
        )
    else:
        objective = (
            "这次活动的目的是什么：召回、新客引导、复购提醒、交叉销售、VIP关怀、"
            "满意度调研、活动邀请，还是服务补救？"
        )
    return "\n".join([*asked, objective])


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
    if c.channel_order:
        wait = f" after {c.fallback_after_hours:g}h" if c.fallback_after_hours else ""
        parts.append("order " + ">".join(c.channel_order) + wait)
    if c.regions:
        parts.append("regions " + ",".join(c.regions))
    if c.content_exclusions:
        parts.append("copy without " + ",".join(c.content_exclusions))
    if c.content_language:
        parts.append(f"copy in {c.content_language}")
    if c.tone:
        parts.append(f"tone {c.tone}")
    if c.send_window:
        parts.append(f"window {c.send_window.start}-{c.send_window.end}")
    if c.deadline:
        parts.append(f"deadline {c.deadline}")
    parts.append(f"kpi={goal.kpi.metric}")
    if goal.questions:
        parts.append("unresolved: " + "; ".join(q.words for q in goal.questions))
    return redact(" | ".join(parts))


def _objective(scan: Scan) -> Objective | None:
    """The first objective whose words appear outside an audience phrase (``刚回流的用户``)."""
    for objective, pattern in lx.OBJECTIVE_WORDS:
        for m in re.finditer(pattern, scan.text, re.I):
            if not scan.inside(m.start(), m.end()):
                scan.spans.append((m.start(), m.end()))
                return objective
    return None


def _forbidden(scan: Scan, lang: str) -> list[str]:
    out: list[str] = []
    for _kind, pattern, reason in lx.FORBIDDEN:
        m = scan.find(pattern)
        if m:
            out.append(f"{m.group(0).strip()}: {reason[lang]}")
    return out


def _unmapped_numbers(scan: Scan, lang: str) -> None:
    """A number nothing used (``召回用户，5000``) is asked about, never ignored."""
    asked = [scan.clause_of(q) for q in scan.ask_positions]
    asked += [(m.start(), m.end()) for m in _DATE_OR_TIME.finditer(scan.text)]  # a bad date
    for m in _NUMBER.finditer(scan.text):
        digits = m.group(0).replace(",", "")
        if scan.covered(m.start(), m.end()) or len(digits) >= 7 or float(digits) <= 1:
            continue  # a phone-like run is contact data (redacted), 1 is "一次"
        if any(a <= m.start() < b for a, b in asked):
            continue  # its clause is already asked about, or it is part of a date
        question = gw.ASK["number"][lang].replace("{number}", m.group(0))
        scan.ask("number", m.start(), m.end(), question)


def _leftovers(scan: Scan, lang: str, length: int) -> list[str]:
    out = []
    for m in _CLAUSES.finditer(scan.text):
        if scan.covered(m.start(), m.end()):
            continue
        clause = m.group(0).strip()
        if clause and not _FILLER.match(clause) and not clause.isdigit():
            out.append(redact(scan.norm.quote(m.start(), m.end()).strip()))
    if length > MAX_GOAL_CHARS:
        out.append(say("goal.truncated", lang, max=MAX_GOAL_CHARS))
    return out

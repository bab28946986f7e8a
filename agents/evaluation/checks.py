"""Deterministic plan checks that need no store: structure, channels, content, claims.

Each check returns :class:`Finding` objects in the goal's language; ``error`` asks the planner
for a revision, ``block`` stops the plan.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Literal

from agents.schema import Finding
from prompts.catalog import say
from userops.dispatch.content_rules import check_content as channel_rules
from userops.dispatch.models import MessageContent
from userops.plan import CampaignPlan, Goal
from userops.privacy import find_contact_data

Severity = Literal["info", "warn", "error", "block"]

FORBIDDEN_CLAIMS = re.compile(
    r"guarantee[ds]?|100\s*%|百分之?百|保证(有效|见效|治愈|赚|收益)|包治|最低价|全网最低|史上最低"
    r"|lowest price|cheapest|\bcures?\b|治愈|疗效|根治|药到病除|神药|miracle|risk[- ]free"
    r"|零风险|无副作用|no side effects|国家级|第一品牌|number one brand",
    re.I,
)
"""Claims advertising rules forbid (absolute, medical, price superlatives)."""

_CJK = re.compile(r"[\u4e00-\u9fff]")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
TAG = re.compile(r"<[^<>]+>")
"""An HTML tag (``<[^>]+>`` read a run of ``<`` without ``>`` once per ``<``: quadratic)."""


def msg(goal: Goal, key: str, **values: object) -> str:
    """Return the line ``check.<key>`` of ``prompts/messages/`` in the goal's language."""
    return say(f"check.{key}", goal.language, **values)


def finding(check: str, severity: Severity, message: str, **detail: object) -> Finding:
    """Build a finding."""
    return Finding(check=check, severity=severity, message=message, detail=dict(detail))


def texts_of(v: MessageContent) -> list[str]:
    """Every piece of text in a variant (subject, title, body, html, fields, script)."""
    parts = [v.subject or "", v.title or "", v.body, v.html or ""]
    parts += list(v.template_fields.values())
    if v.script:
        parts += [v.script.opening, v.script.close] + [b.reply for b in v.script.branches]
    return [p for p in parts if p]


def check_structure(goal: Goal, plan: CampaignPlan) -> list[Finding]:
    """Objective, holdout, channels allowed, variant coverage, fallback content."""
    out: list[Finding] = []
    if goal.objective is not None and plan.objective != goal.objective:
        out.append(
            finding(
                "objective",
                "error",
                msg(goal, "objective_differs"),
                goal=goal.objective.value,
                plan=plan.objective.value,
            )
        )
    c = goal.constraints
    for step in plan.steps:
        if step.holdout_share <= 0:
            out.append(
                finding(
                    "holdout",
                    "error",
                    msg(goal, "no_holdout"),
                    step=step.step_id,
                )
            )
        used = set(step.channel_rule.preferred) | {v.channel for v in step.variants}
        if step.channel_rule.fallback:
            used.add(step.channel_rule.fallback.channel)
        bad = sorted(
            ch
            for ch in used
            if ch in c.channels_forbidden or (c.channels_allowed and ch not in c.channels_allowed)
        )
        if bad:
            out.append(
                finding(
                    "channel",
                    "error",
                    msg(goal, "channels_not_allowed", bad=bad),
                    channels=bad,
                )
            )
        have = {(v.persona, v.channel) for v in step.variants}
        missing = [
            f"{p}/{ch}"
            for p in step.personas
            for ch in step.channel_rule.preferred
            if (p, ch) not in have
        ]
        if missing:
            out.append(
                finding(
                    "coverage",
                    "error",
                    msg(goal, "missing_content", missing=missing),
                    missing=missing,
                )
            )
        fb = step.channel_rule.fallback
        if fb and fb.variant_id and fb.variant_id not in {v.variant_id for v in step.variants}:
            out.append(
                finding(
                    "coverage",
                    "error",
                    msg(goal, "no_fallback_variant"),
                    variant=fb.variant_id,
                )
            )
    return out


def check_timing(goal: Goal, plan: CampaignPlan, today: date | None = None) -> list[Finding]:
    """Deadline passed or after the send time (the send window is :func:`window_finding`)."""
    out: list[Finding] = []
    deadline = goal.constraints.deadline
    if deadline is None:
        return out
    day = today or datetime.now(UTC).date()
    if deadline < day.isoformat():
        out.append(
            finding(
                "deadline",
                "warn",
                msg(goal, "deadline_passed", deadline=deadline),
                deadline=deadline,
            )
        )
    for step in plan.steps:
        if step.send_at and step.send_at[:10] > deadline:
            out.append(
                finding(
                    "deadline",
                    "error",
                    msg(goal, "after_deadline", step=step.step_id, deadline=deadline),
                    step=step.step_id,
                    send_at=step.send_at,
                )
            )
    return out


def check_content(goal: Goal, plan: CampaignPlan) -> list[Finding]:
    """Channel rules, language, contact data and forbidden claims of every variant.

    Each variant's text must be in its declared language (the one the goal asks for, when
    it asks); whether recipients get copy in their own language is checked on the
    pre-flight's assignments (:func:`agents.evaluation.goal_checks.check_recipient_language`).
    """
    out: list[Finding] = []
    if plan.language != goal.language:
        out.append(
            finding(
                "language",
                "error",
                msg(goal, "plan_language"),
                expected=goal.language,
                plan=plan.language,
            )
        )
    for step in plan.steps:
        for v in step.variants:
            text = "\n".join(texts_of(v))
            for r in channel_rules(v):
                if "contact data" not in r.message:
                    out.append(finding("content_rule", "error", r.message, variant=v.variant_id))
            expected = goal.constraints.content_language or v.language
            if not _language_ok(expected, v, text):
                out.append(
                    finding(
                        "language",
                        "error",
                        msg(goal, "copy_language", variant=v.variant_id, expected=expected),
                        variant=v.variant_id,
                        expected=expected,
                    )
                )
            contacts = find_contact_data(text)
            if contacts:
                out.append(
                    finding(
                        "contact_data",
                        "error",
                        msg(goal, "contact_in_copy"),
                        variant=v.variant_id,
                        kinds=sorted({k for k, _ in contacts}),
                    )
                )
            claims = sorted({m.group(0) for m in FORBIDDEN_CLAIMS.finditer(text)})
            if claims:
                out.append(
                    finding(
                        "claims",
                        "error",
                        msg(goal, "forbidden_claims", claims=claims),
                        variant=v.variant_id,
                        claims=claims,
                    )
                )
    return out


def _language_ok(language: str, v: MessageContent, text: str) -> bool:
    """The variant is declared in ``language`` (zh or en) and its text is written in it."""
    if v.language != language or language not in ("zh", "en"):
        return False
    plain = _PLACEHOLDER.sub("", TAG.sub("", text))
    cjk = len(_CJK.findall(plain))
    letters = sum(ch.isascii() and ch.isalpha() for ch in plain)
    if language == "zh":
        return cjk > 0 and cjk * 3 >= letters * 0.5
    return cjk == 0

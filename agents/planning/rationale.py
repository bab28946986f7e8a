"""The plan's rationale, in the operator's language: what, for whom, how, and what was refused."""

from __future__ import annotations

from agents.schema import Finding
from prompts.catalog import say
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
    lang = goal.language
    hints = ", ".join(goal.audience_hints)
    who, how = "/".join(personas), " > ".join(channels)
    hints = hints or say("rationale.default_audience", lang)
    lines = [say("rationale.head", lang, size=stats.size, hints=hints, who=who, how=how)]
    if theme:
        lines.append(say("rationale.lifecycle", lang, theme=theme))
    if languages and (len(languages) > 1 or languages[0] != goal.language):
        langs = "/".join(languages)
        lines.append(say("rationale.copy_languages", lang, langs=langs))
    if goal.forbidden:
        lines.append(say("rationale.forbidden", lang, items="; ".join(goal.forbidden)))
    if goal.not_understood:
        lines.append(say("rationale.not_understood", lang, items="; ".join(goal.not_understood)))
    fixed = sorted(
        {f.check for f in feedback if f.severity in ("error", "block") and f.check != "approver"}
    )
    fixed += [f"“{f.message}”" for f in feedback if f.check == "approver"]
    if fixed:
        lines.append(say("rationale.addresses", lang, items=", ".join(fixed)))
    return "\n".join(lines)

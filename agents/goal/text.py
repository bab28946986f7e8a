"""The goal said back to the operator, in the goal's language (redacted)."""

from __future__ import annotations

from prompts.catalog import LANGUAGES, catalog, say
from userops.plan import Goal
from userops.privacy import redact


def _word(key: str, lang: str, default: str) -> str:
    """The catalog's word ``key`` in ``lang`` (``default`` when the catalog has none)."""
    return catalog(lang).get(key, default)


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
        op = _word(f"goal.op.{p.op}", lang, p.op)  # type: ignore[union-attr]
        value = p.value  # type: ignore[union-attr]
        shown = (
            "/".join(map(str, value))
            if isinstance(value, list)
            else f"{value:g}"
            if isinstance(value, float)
            else str(value)
        )
        out.append(f"{_word(f'goal.field.{field}', lang, field)} {op} {shown}")
    topics = sorted({str(p.where.get("topic")) for p in goal.audience.any_ if hasattr(p, "where")})
    if topics:
        out.append(say("goal.feedback_topic", lang, topics="/".join(topics)))
    return out


def objective_name(objective: str, lang: str) -> str:
    """Return the operator-facing name of ``objective`` in ``lang`` (the value when unknown)."""
    return _word(f"goal.objective.{objective}", lang if lang in LANGUAGES else "en", objective)


def explain_goal(goal: Goal) -> str:
    """Return one line per understood part of ``goal`` in its language."""
    lang = goal.language
    names = "objective audience budget max_recipients only_channels not_channels send_window"
    names += " deadline kpi not_understood will_not_do unknown assumed"
    labels = [say(f"goal.label.{n}", lang) for n in names.split()]
    (obj, aud, bud, cap, only, never, win, dl, kpi, nu, fb, unknown, assumed) = labels
    c = goal.constraints
    name = _word(f"goal.objective.{goal.objective.value}", lang, "") if goal.objective else unknown
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
    if c.channel_order:
        h = c.fallback_after_hours
        wait = " (" + say("goal.label.wait", lang, h=f"{h:g}") + ")" if h else ""
        lines.append(f"{say('goal.label.order', lang)}: " + " → ".join(c.channel_order) + wait)
    if c.regions:
        lines.append(f"{say('goal.label.regions', lang)}: " + ", ".join(c.regions))
    if c.content_exclusions:
        lines.append(f"{say('goal.label.exclude', lang)}: " + ", ".join(c.content_exclusions))
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
        lines.append(f"{say('goal.label.ask', lang)}: {q.question}")
    return redact("\n".join(lines))

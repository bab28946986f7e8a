"""Build a :class:`JourneySpec` from a :class:`JourneyIntent` and its playbook.

The steps are the operator's when they name at least one send, else the playbook's. A send
gets the channels it names (else the playbook's for that position), narrowed by the goal's
``only``/``never`` channels; its copy comes from its theme (the words of the clause, else
the playbook's) in the operator's language, rendered for each channel with the channel's
content rules (:func:`tools.content.render`); an offer the goal excludes is left out of the
copy. An ``await`` waits for its event: when it happens the member exits (``converted``),
when it times out the following steps run.
"""

from __future__ import annotations

from typing import Any

from agents.planning.journey.book import Theme, book
from agents.planning.journey.intent import JourneyIntent, Step
from prompts.catalog import say
from tools.content import Copy, excluded_words, render, templates
from userops.journeys.parse import parse_journey
from userops.journeys.spec import JourneySpec
from userops.privacy import redact


def plan_steps(intent: JourneyIntent) -> list[Step]:
    """The operator's steps when they name a send, else the playbook's."""
    if intent.explicit_sends():
        return list(intent.steps)
    if intent.playbook is None:
        return []
    out: list[Step] = []
    for raw in book().playbook(intent.playbook).steps:
        if "send" in raw:
            out.append(
                Step(kind="send", theme=raw["send"], channels=list(raw["channels"]), explicit=False)
            )
        elif "wait" in raw:
            out.append(Step(kind="wait", seconds=_secs(raw["wait"]), explicit=False))
        else:
            secs = _secs(raw["timeout"])
            out.append(Step(kind="await", event=raw["await"], seconds=secs, explicit=False))
    return out


def _secs(d: dict[str, int]) -> int:
    return int(d.get("days", 0)) * 86400 + int(d.get("hours", 0)) * 3600


def _duration(seconds: int) -> dict[str, int]:
    if seconds % 86400 == 0:
        return {"days": seconds // 86400}
    if seconds % 3600 == 0:
        return {"hours": seconds // 3600}
    return {"minutes": max(1, seconds // 60)}


def channels_for(intent: JourneyIntent, step: Step, default: list[str]) -> list[str]:
    """The send's channels: named, else the playbook's; narrowed by only/never."""
    chans = list(step.channels) or list(default)
    if intent.channels_allowed:
        chans = [c for c in chans if c in intent.channels_allowed] or list(intent.channels_allowed)
    return [c for c in chans if c not in intent.channels_forbidden]


def _copy(theme: Theme, lang: str, exclusions: list[str]) -> tuple[Copy, bool]:
    """The theme's copy without excluded words; whether it uses ``{offer}``."""
    c = theme.copy_in(lang)
    cta = c.cta
    if exclusions and excluded_words(cta, exclusions) and c.cta_plain:
        cta = c.cta_plain
    parts = f"{c.headline} {c.angle}"
    if exclusions and excluded_words(parts, exclusions):
        w = book().themes["welcome"].copy_in(lang)
        return Copy(headline=w.headline, angle=w.angle, cta=w.cta, call_reason=w.angle), False
    return Copy(headline=c.headline, angle=c.angle, cta=cta, call_reason=c.angle), "{offer}" in cta


def _send_node(
    intent: JourneyIntent, step: Step, nid: str, nxt: str, k: int, notes: list[str]
) -> dict[str, Any]:
    lang = intent.language
    pb_sends = _playbook_sends(intent)
    fallback = pb_sends[min(k, len(pb_sends) - 1)] if pb_sends else ("welcome", ["app_push"])
    theme_name = step.theme or fallback[0]
    theme = book().themes[theme_name]
    chans = channels_for(intent, step, fallback[1])
    copy, uses_offer = _copy(theme, lang, intent.exclusions)
    values = {"brand": str(templates(lang)["brand"])}
    if uses_offer:
        values["offer"] = step.offer or book().offer(theme.offer or "offer", lang)
        if not step.offer:
            notes.append(say("journey.assumed_offer", lang, node=nid, offer=values["offer"]))
    variants = [
        render(
            copy, ch, theme.persona, lang, f"{nid}-{ch}", f"TPL_journey_{theme_name}"
        ).model_dump(mode="json", exclude_none=True)
        for ch in chans
    ]
    node: dict[str, Any] = {
        "kind": "send", "id": nid, "channels": chans, "variants": variants, "values": values,
        "next": nxt,
    }  # fmt: skip
    if intent.send_window:
        node["send_window"] = dict(intent.send_window)
    return node


def _playbook_sends(intent: JourneyIntent) -> list[tuple[str, list[str]]]:
    if intent.playbook is None:
        return []
    steps = book().playbook(intent.playbook).steps
    return [(s["send"], list(s["channels"])) for s in steps if "send" in s]


def build_nodes(intent: JourneyIntent, steps: list[Step], notes: list[str]) -> list[dict[str, Any]]:
    """The nodes of ``steps`` in order, ending at ``done`` (and ``converted`` for awaits)."""
    counts: dict[str, int] = {}
    ids: list[str] = []
    for s in steps:
        counts[s.kind] = counts.get(s.kind, 0) + 1
        ids.append(f"{s.kind}{counts[s.kind]}")
    nodes: list[dict[str, Any]] = []
    sends = 0
    for i, s in enumerate(steps):
        nid, nxt = ids[i], ids[i + 1] if i + 1 < len(ids) else "done"
        if s.kind == "send":
            nodes.append(_send_node(intent, s, nid, nxt, sends, notes))
            sends += 1
        elif s.kind == "wait":
            nodes.append({"kind": "wait", "id": nid, "duration": _duration(s.seconds), "next": nxt})
        elif s.kind == "until":
            until = {"time": s.time, "weekdays": list(s.weekdays)}
            nodes.append({"kind": "wait", "id": nid, "until": until, "next": nxt})
        else:
            nodes.append(
                {
                    "kind": "wait_for_event", "id": nid, "event": {"event": s.event},
                    "timeout": _duration(s.seconds), "happened": "converted", "timed_out": nxt,
                }
            )  # fmt: skip
    if any(s.kind == "await" for s in steps):
        nodes.append({"kind": "exit", "id": "converted", "reason": "converted"})
    nodes.append({"kind": "exit", "id": "done"})
    if intent.audience:  # who may go through: the others leave at once
        case = {"segment": intent.audience, "next": nodes[0]["id"]}
        gate = {"kind": "branch", "id": "audience", "cases": [case], "otherwise": "outside"}
        nodes = [gate, *nodes, {"kind": "exit", "id": "outside", "reason": "outside_audience"}]
    return nodes


def build_spec(intent: JourneyIntent) -> tuple[JourneySpec, list[str]]:
    """The spec for ``intent`` and notes on what the playbook filled in.

    Raises:
        BadInput: the built spec is invalid (a bug: the evaluator reports it).
    """
    if intent.trigger is None or intent.playbook is None:
        raise ValueError("no trigger: ask the operator first")
    notes: list[str] = []
    pb = book().playbook(intent.playbook)
    steps = plan_steps(intent)
    if not intent.explicit_sends():
        notes.append(say("journey.assumed_steps", intent.language, playbook=intent.playbook))
    nodes = build_nodes(intent, steps, notes)
    sends = sum(1 for n in nodes if n["kind"] == "send")
    limits = dict(pb.limits)
    limits["per_entry"] = intent.per_entry or max(int(limits.get("per_entry") or 1), sends)
    if intent.per_user:
        limits["per_user"] = dict(intent.per_user)
    data: dict[str, Any] = {
        "name": say("journey.name", intent.language, playbook=intent.playbook),
        "description": redact(intent.text)[:2000],
        "trigger": intent.trigger,
        "nodes": nodes,
        "reentry": intent.reentry or dict(pb.reentry),
        "limits": limits,
    }
    if intent.goal_event:
        data["goal"] = {"event": intent.goal_event}
    return parse_journey(data, source="planner"), notes

"""Goal fidelity of a journey spec: every explicit item of the goal is in the spec.

The items are the offline reading of the goal (:class:`JourneyIntent`): the trigger the
operator named (and its local time), each wait, each wait for an event with its timeout,
each time of day, each send's named channels and offer, the goal event, the re-entry rule
and the message limit. A missing item is an ``error`` finding naming it (the planner revises;
the approver sees what is missing), so nothing explicit is dropped silently, whichever
planner wrote the spec.
"""

from __future__ import annotations

from typing import Any

from agents.planning.journey.intent import JourneyIntent, Step
from agents.schema import Finding
from prompts.catalog import say
from userops.journeys.events import resolve_event
from userops.journeys.nodes import BranchNode, SendNode, WaitForEventNode, WaitNode
from userops.journeys.spec import JourneySpec


def _same_event(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and resolve_event(a) == resolve_event(b)


def _missing(lang: str, item: str, **detail: Any) -> Finding:
    return Finding(
        check="goal_fidelity",
        severity="error",
        message=say("journey.missing", lang, item=item),
        detail=detail,
    )


def _trigger(intent: JourneyIntent, spec: JourneySpec) -> list[Finding]:
    want, got = intent.trigger or {}, spec.trigger
    lang = intent.language
    if not intent.trigger_explicit or not want:
        return []
    ok = want.get("kind") == got.kind
    if ok and got.kind == "event":
        ok = _same_event(str(want.get("event")), getattr(got, "event", None))
        ok = ok and dict(want.get("where") or {}) == dict(getattr(got, "where", {}) or {})
    elif ok and got.kind == "lifecycle":
        ok = set(want.get("to") or []) <= set(getattr(got, "to", []))
    elif ok and got.kind == "anniversary":
        ok = want.get("date") == getattr(got, "date", None)
    out = [] if ok else [_missing(lang, say("journey.item_trigger", lang, want=_show(want)))]
    if intent.trigger_time and getattr(got, "at", None) != intent.trigger_time:
        item = say("journey.item_time", lang, time=intent.trigger_time)
        out.append(_missing(lang, item))
    return out


def _show(trigger: dict[str, Any]) -> str:
    return str(trigger.get("event") or trigger.get("date") or trigger.get("to") or trigger)


def _steps(intent: JourneyIntent, spec: JourneySpec) -> list[Finding]:
    lang = intent.language
    waits = [n.duration.seconds() for n in spec.nodes if isinstance(n, WaitNode) and n.duration]
    times: list[tuple[str, list[str]]] = [
        (n.until.time, [str(d) for d in n.until.weekdays])
        for n in spec.nodes
        if isinstance(n, WaitNode) and n.until
    ]
    awaits = [n for n in spec.nodes if isinstance(n, WaitForEventNode)]
    sends = [n for n in spec.nodes if isinstance(n, SendNode)]
    out: list[Finding] = []
    explicit = [s for s in intent.steps if s.explicit]
    for s in explicit:
        if s.kind == "wait" and s.seconds in waits:
            waits.remove(s.seconds)
        elif s.kind == "wait":
            out.append(_missing(lang, say("journey.item_wait", lang, words=s.words), step=s.kind))
        elif s.kind == "until" and (s.time or "", s.weekdays) in times:
            times.remove((s.time or "", s.weekdays))
        elif s.kind == "until":
            out.append(_missing(lang, say("journey.item_time", lang, time=s.time)))
        elif s.kind == "await":
            hit = next(
                (
                    a for a in awaits
                    if _same_event(a.event.event, s.event) and a.timeout.seconds() == s.seconds
                ),
                None,
            )  # fmt: skip
            if hit is None:
                out.append(_missing(lang, say("journey.item_await", lang, words=s.words)))
            else:
                awaits.remove(hit)
    out += _sends(lang, [s for s in explicit if s.kind == "send"], sends)
    return out


def _sends(lang: str, wanted: list[Step], sends: list[SendNode]) -> list[Finding]:
    out: list[Finding] = []
    if len(sends) < len(wanted):
        item = say("journey.item_sends", lang, n=len(wanted))
        out.append(_missing(lang, item, wanted=len(wanted), got=len(sends)))
    for s in wanted:
        if s.channels and not any(set(s.channels) <= set(n.channels) for n in sends):
            item = say("journey.item_channels", lang, channels=", ".join(s.channels))
            out.append(_missing(lang, item, channels=s.channels))
        if s.offer and not any(_offers(n, s.offer) for n in sends):
            out.append(_missing(lang, say("journey.item_offer", lang, offer=s.offer)))
    return out


def _offers(n: SendNode, offer: str) -> bool:
    if offer in n.values.get("offer", ""):
        return True
    return any(offer in (v.body or "") or offer in (v.title or "") for v in n.variants)


def fidelity(intent: JourneyIntent, spec: JourneySpec) -> list[Finding]:
    """Findings for every explicit item of the goal that the spec does not honour."""
    lang = intent.language
    out = _trigger(intent, spec) + _steps(intent, spec)
    if intent.goal_explicit and not _same_event(
        intent.goal_event, spec.goal.event if spec.goal else None
    ):
        out.append(_missing(lang, say("journey.item_goal", lang, event=intent.goal_event)))
    r = intent.reentry
    if r is not None and (r.get("policy"), r.get("days")) != (
        spec.reentry.policy,
        spec.reentry.days,
    ):
        out.append(_missing(lang, say("journey.item_reentry", lang, rule=_rule(r))))
    if intent.audience and not any(
        c.segment is not None and c.segment.dump() == intent.audience
        for n in spec.nodes
        if isinstance(n, BranchNode)
        for c in n.cases
    ):
        out.append(_missing(lang, say("journey.item_audience", lang, audience=intent.audience)))
    got = spec.limits.per_user
    if intent.per_user and (
        got is None or (got.count, got.days) != tuple(intent.per_user.values())
    ):
        rule = f"{intent.per_user['count']}/{intent.per_user['days']}d"
        out.append(_missing(lang, say("journey.item_per_user", lang, rule=rule)))
    if intent.per_entry is not None and spec.limits.per_entry != intent.per_entry:
        out.append(_missing(lang, say("journey.item_limit", lang, n=intent.per_entry)))
    return out


def _rule(r: dict[str, Any]) -> str:
    return f"{r.get('policy')}" + (f" {r['days']}d" if r.get("days") else "")

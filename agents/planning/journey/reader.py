"""Read a journey goal (zh or en) into a :class:`JourneyIntent`, deterministically.

The goal is normalized (numerals in digits), split into clauses, and each clause read in
order: the exit on the goal event (``下单即退出``, *exit when they order*), re-entry
(``每30天最多一次``, *at most once every 30 days*), a message limit, a wait for an event that
did not happen (``3天内没下单``, *if no order within 3 days*), a delay (``1天后``, *2 hours
later*), a local time (``上午10点``), and a send (a channel or a send verb, a content theme,
an offer). The campaign goal parser (:func:`agents.goal.parser.parse_goal`) adds the goal-wide
constraints: channels only or never, content exclusions, a send window, a budget, and what
the platform refuses. A clause nothing recognises is kept in ``not_understood``; a channel
the platform cannot send on, or one both named and forbidden, becomes a question.
"""

from __future__ import annotations

import re
from typing import Any

from agents.goal import words as gw
from agents.goal.journey_intent import MARKERS
from agents.goal.numbers import MAX_GOAL_CHARS, normalize
from agents.goal.parser import detect_language, parse_goal
from agents.planning.journey import patterns as pt
from agents.planning.journey.book import book, pick_playbook, pick_theme
from agents.planning.journey.intent import JourneyIntent, Step
from prompts.catalog import say
from userops.cdp.segments.spec import SegmentSpec
from userops.plan import Goal

_SPLIT = re.compile(r"[，,。;；!！?？\n]|\.(?=\s|$)")
_UNSUPPORTED = re.compile(gw.UNSUPPORTED_CHANNELS, re.I)
_FILLER = re.compile(r"^\s*(?:请|帮我|麻烦|吧|谢谢|please|thanks?|and|then|also|ok)?\s*$", re.I)
_STAGES = (
    ("流失风险", "churn_risk"), ("churn risk", "churn_risk"), ("at risk", "churn_risk"),
    ("at-risk", "churn_risk"), ("沉默", "churn_risk"), ("沉睡", "churn_risk"),
    ("inactive", "churn_risk"), ("dormant", "churn_risk"), ("成长期", "growing"),
    ("growing", "growing"), ("成熟期", "mature"), ("mature", "mature"), ("新用户", "new"),
)  # fmt: skip


WHO_FIELDS = frozenset(
    {
        "language", "region", "ltv_tier", "ltv_12m", "rfm_segment", "interests",
        "price_sensitivity", "satisfaction", "monetary_365d", "aov",
    }
)  # fmt: skip
"""Trait fields that say who may go through a journey. Timing fields (days since sign-up or
the last order, lifecycle stage) describe the trigger and steps, not the audience."""


def _audience(goal: Goal) -> dict[str, Any] | None:
    a = goal.audience
    keep = {
        key: [p for p in preds if getattr(p, "field", None) in WHO_FIELDS]
        for key, preds in (("all", a.all_), ("any", a.any_), ("none", a.none))
    }
    if not any(keep.values()):
        return None
    spec = SegmentSpec.model_validate(
        {k: [p.model_dump(mode="json") for p in v] for k, v in keep.items()}
    )
    return spec.dump()


def read_goal(text: str) -> JourneyIntent:
    """The journey the words ask for (see the module docstring)."""
    text = (text or "")[:MAX_GOAL_CHARS]
    lang = "zh" if detect_language(text) == "zh" else "en"
    goal = parse_goal(text, lang)
    c = goal.constraints
    window = c.send_window.model_dump() if c.send_window else None
    intent = JourneyIntent(
        text=text, language=lang, playbook=pick_playbook(text), send_window=window,
        channels_allowed=list(c.channels_allowed), channels_forbidden=list(c.channels_forbidden),
        exclusions=list(c.content_exclusions), budget=c.budget, forbidden=list(goal.forbidden),
        audience=_audience(goal),
    )  # fmt: skip
    norm = normalize(text).text
    for part in _SPLIT.split(norm):
        for clause in (c.strip() for c in pt.STEP_SPLIT.split(part)):
            if clause:
                _clause(intent, clause)
    _trigger(intent, norm)
    _questions(intent, norm)
    return intent


def _clause(intent: JourneyIntent, clause: str) -> None:
    low = clause.lower()
    seen = any(m in low for m in MARKERS) or bool(pick_playbook(low))
    exit_m = pt.EXIT.search(clause)
    if exit_m:
        words = next(g for g in exit_m.groups() if g)
        intent.goal_event, intent.goal_explicit, seen = pt.event_of(words), True, True
        clause = clause[: exit_m.start()] + " " + clause[exit_m.end() :]
    clause, ruled = _rules(intent, clause)
    seen = seen or ruled
    durations = list(pt.DURATION.finditer(clause))
    before = pt.BEFORE.search(clause)
    if before and durations:
        intent.questions.append(say("journey.ask_before", intent.language, words=before.group(0)))
        return
    not_done = pt.NOT_DONE.search(clause)
    chans = pt.channels_in(clause)
    rest = clause if not_done is None else clause[: not_done.start()] + clause[not_done.end() :]
    sends = (bool(chans) or bool(pt.SEND_VERB.search(clause))) and not pt.NEGATED.search(rest)
    if sends and pt.ONLY.search(rest) and not durations and pick_theme(clause) is None:
        sends = False  # 只用推送 / only by email: the goal parser's channel constraint
    if not_done:
        secs = pt.seconds_of(durations.pop(0)) if durations else 0
        intent.steps.append(
            Step(kind="await", seconds=secs, event=pt.event_of(not_done.group(0)), words=clause)
        )
        seen = True
    for d in durations:
        intent.steps.append(Step(kind="wait", seconds=pt.seconds_of(d), words=d.group(0)))
        seen = True
    clock, days = _clock(clause), pt.weekdays_in(clause)
    if clock is not None and (
        intent.playbook == "birthday" or "生日" in clause or "birthday" in low
    ):
        intent.trigger_time, seen = clock, True
    elif clock is not None or days:
        if clock is None:
            clock = "10:00"
            intent.assumed.append(say("journey.assumed_time", intent.language, words=clause))
        intent.steps.append(Step(kind="until", time=clock, weekdays=days, words=clause))
        seen = True
    if sends:
        offer = pt.OFFER.search(clause)
        intent.steps.append(
            Step(
                kind="send", channels=chans, theme=pick_theme(clause), words=clause,
                offer=offer.group(0).strip() if offer else None,
            )
        )  # fmt: skip
        seen = True
    if not seen and not pt.CONSTRAINT.search(clause) and not _FILLER.match(clause):
        intent.not_understood.append(clause)


def _rules(intent: JourneyIntent, clause: str) -> tuple[str, bool]:
    """Re-entry and message limits of ``clause``; the clause without them, whether any."""
    seen = False
    order = (pt.REENTRY_AFTER, pt.REENTRY_NEVER, pt.PER_USER, pt.LIMIT, pt.REENTRY_ANY)
    for pattern in order:
        m = pattern.search(clause)
        if m is None:
            continue
        n = next((int(g) for g in m.groups() if g and g.strip().isdigit()), None)
        if pattern is pt.PER_USER:
            intent.per_user = pt.per_user_of(m)
        elif pattern is pt.LIMIT:
            intent.per_entry = n
        elif pattern is pt.REENTRY_ANY:
            pb = book().playbooks.get(intent.playbook or "")
            days = pb.reentry.get("days") if pb is not None else None
            intent.reentry = intent.reentry or {"policy": "after", "days": int(days or 1)}
        else:
            intent.reentry = {"policy": "after", "days": n} if n else {"policy": "never"}
        clause, seen = clause[: m.start()] + " " + clause[m.end() :], True
    return clause, seen


def _clock(clause: str) -> str | None:
    if pt.RANGE.search(clause):
        return None  # a window (10点到18点) is the goal parser's send window
    m = pt.TIME.search(clause)
    return pt.clock_of(m) if m else None


def _trigger(intent: JourneyIntent, norm: str) -> None:
    """The trigger: the playbook's, with the stage or time the operator named."""
    if intent.playbook is None:
        return
    pb = book().playbook(intent.playbook)
    trig = dict(pb.trigger)
    low = norm.lower()
    if trig["kind"] == "lifecycle":
        stage = next((s for w, s in _STAGES if w in low), None)
        if stage is not None:
            trig["to"] = [stage]
    if trig["kind"] == "anniversary" and intent.trigger_time:
        trig["at"] = intent.trigger_time
    amount = pt.ORDER_AMOUNT.search(norm)
    if amount and trig["kind"] == "event" and trig["event"] == pt.ORDER:
        trig["where"] = pt.amount_filter(amount)  # the order's amount, not the user's spend
    intent.trigger = trig
    intent.trigger_explicit = any(w in low for w in pb.words)
    if intent.goal_event is None and pb.goal:
        intent.goal_event = pb.goal
        intent.assumed.append(say("journey.assumed_goal", intent.language, event=pb.goal))


def _questions(intent: JourneyIntent, norm: str) -> None:
    lang = intent.language
    if intent.trigger is None:
        intent.questions.append(say("journey.ask_trigger", lang))
    bad = _UNSUPPORTED.search(norm)
    if bad:
        intent.questions.append(say("journey.ask_channel", lang, words=bad.group(0)))
    named = {ch for s in intent.explicit_sends() for ch in s.channels}
    clash = sorted(named & set(intent.channels_forbidden))
    if clash:
        intent.questions.append(say("journey.ask_clash", lang, channels=", ".join(clash)))
    for s in intent.steps:
        if s.kind == "await" and s.seconds <= 0:
            s.seconds = 3 * 86400
            intent.assumed.append(say("journey.assumed_timeout", lang, words=s.words))

"""Channels in a goal: allowed, forbidden, in which order, and how long to wait in between.

A channel named as the means (``用短信``, ``via email``, ``send a push``, ``推送和公众号都可以``)
is allowed and, with the others named, the only ones used; a channel right after a negation
(``不要发短信``, ``no calls``, ``do not text them``) or followed by one (``短信不要发``) is
forbidden. The negation must govern the channel itself (see :mod:`agents.goal.scope`): the
"not" of "customers who have not ordered in 60 days with an SMS offer" does not. ``先推送，
没打开再发短信`` / ``push first, then SMS`` / ``推送优先，短信兜底`` give an order whose last
channel is the fallback, with the wait (``48小时``, ``after a day``) when one is said. A
channel that is only the object of an engagement (``did not open our last email``) is not a
channel constraint; a channel the platform does not have (WhatsApp, 抖音) becomes a question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agents.goal import lexicon as lx
from agents.goal import words as gw
from agents.goal.extract import Scan
from agents.goal.scope import (
    CLAUSE,
    ends_with,
    except_means_only,
    negated_after,
    negated_before,
)

_NOT_A_CHANNEL = re.compile(
    r"电话号码|手机号码?|客服电话|联系电话|号码|phone numbers?|mobile numbers?|email address(?:es)?"
    r"|邮箱地址",
    re.I,
)
_CONNECTOR = re.compile(
    r"[\s、/+&和与及或跟加]{0,6}(?:and|or|nor|以及|或者|还是)?\s{0,2}(?:the|an?)?[\s、/+&]{0,3}",
    re.I,
)
_ENGAGED = re.compile(
    r"(?:\bopen(?:ed)?|\bclick(?:ed)?|\bread|\breceived?|\brepl(?:y|ied) to|打开过?|点开过?|点击过?"
    r"|阅读过?|收到过?|回复过?)$",
    re.I,
)
_ENGAGE_FILLER = re.compile(
    r"(?:\s+|\bour|\bthe|\btheir|\byour|\ban?|\blast|\blatest|\bprevious|\brecent|过|了|我们的"
    r"|上次的?|上一封|最近的?)$",
    re.I,
)
_FIRST_BEFORE = re.compile(r"(?:先|首先|\bstart|\bbegin|\bstarting|\bfirst)$", re.I)
_FIRST_AFTER = re.compile(r"\s*(?:first|优先|先发?|为主)", re.I)
_THEN_BEFORE = re.compile(
    r"(?:再|然后|之后|接着|随后|后|改|换成?|\bthen|\bfall(?:ing)? back|\bfallback|\bswitch"
    r"|\bfollow(?:ed)? up|\bfollowed|\bafter that)$",
    re.I,
)
_IF_UNANSWERED = re.compile(
    r"\bif (?:nobody|no one|they (?:don't|do not|haven't)|it's not|it is not|not)\b[^.;]{0,40}?"
    r"[,，]?\s*(?:then\s+)?(?:(?:send|use)\s+)?(?:an?\s+)?$",
    re.I,
)
"""``email, and if nobody opens it within a day, push``: the channel after it is the fallback."""
_THEN_AFTER = re.compile(
    r"\s*(?:them\s+|it\s+)?(?:兜底|作为兜底|做兜底|补发|as (?:a |the )?(?:fallback|backup)"
    r"|\d{1,3}\s*(?:hours?|days?|h)\s+later|later|afterwards"
    r"|if (?:unopened|unread|ignored|there is no|no response|they don't|they do not|they ignore))",
    re.I,
)
_WAIT = re.compile(
    r"(\d{1,4}(?:\.\d{1,2})?|\ban?\b|\bone\b|half an?)\s*(?:个)?\s*"
    r"(小时|h\b|hours?\b|天|days?\b|周|weeks?\b|分钟|minutes?\b)",
    re.I,
)
_HOURS = {"小": 1.0, "h": 1.0, "天": 24.0, "d": 24.0, "周": 168.0, "w": 168.0, "分": 1 / 60}
_HOURS["m"] = 1 / 60


@dataclass
class _Group:
    start: int
    end: int
    channels: list[str]
    pre: str = ""
    post: str = ""
    sign: int = 0  # +1 use, -1 forbid, 0 not a constraint
    first: bool = False
    then: bool = False


@dataclass
class ChannelConstraints:
    """What the goal says about channels."""

    allowed: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    wait_hours: float | None = None


def extract_channels(scan: Scan, lang: str) -> ChannelConstraints:
    """Read the goal's channel constraints.

    Run after the audience (its durations are taken) and the forbidden requests: a channel
    named inside one (``在短信里写上客服电话``) is not a channel choice.
    """
    text = scan.text
    groups = _groups(text, [m for m in _mentions(text) if not scan.inside(m[0], m[1])])
    out = ChannelConstraints()
    for g in groups:
        _judge(g, text)
        if g.sign:
            scan.spans.append((g.start, g.end))
        bucket = out.allowed if g.sign > 0 else out.forbidden if g.sign < 0 else []
        bucket += [ch for ch in g.channels if g.sign and ch not in bucket]
    out.allowed = [c for c in out.allowed if c not in out.forbidden]
    _order(scan, [g for g in groups if g.sign > 0 and g.channels[0] in out.allowed], out)
    for m in re.finditer(gw.UNSUPPORTED_CHANNELS, text, re.I):
        c0, c1 = scan.clause_of(m.start())
        if negated_before(text[c0 : m.start()]) or negated_after(text[m.end() : c1]):
            scan.spans.append((m.start(), m.end()))
        else:
            scan.ask("channel", m.start(), m.end(), gw.ASK["channel"][lang])
    return out


def _mentions(text: str) -> list[tuple[int, int, str]]:
    masked = _NOT_A_CHANNEL.sub(lambda m: " " * len(m.group(0)), text)
    found = [
        (m.start(), m.end(), ch)
        for ch, pattern in lx.CHANNEL_WORDS
        for m in re.finditer(pattern, masked, re.I)
    ]
    found.sort(key=lambda t: (t[0], t[0] - t[1]))
    out: list[tuple[int, int, str]] = []
    for start, end, ch in found:
        if not out or start >= out[-1][1]:
            out.append((start, end, ch))
    return out


def _groups(text: str, mentions: list[tuple[int, int, str]]) -> list[_Group]:
    """Mentions joined by connectors (``短信和邮件``, ``SMS or push``), each with its context."""
    groups: list[_Group] = []
    for start, end, ch in mentions:
        last = groups[-1] if groups else None
        if last is not None and _CONNECTOR.fullmatch(text[last.end : start]):
            last.end = end
            if ch not in last.channels:
                last.channels.append(ch)
        else:
            groups.append(_Group(start, end, [ch]))
    bounds = [(m.start(), m.end()) for m in CLAUSE.finditer(text)]
    for i, g in enumerate(groups):
        c0, c1 = next(((s, e) for s, e in bounds if s <= g.start < e), (0, len(text)))
        prev_end = groups[i - 1].end if i and groups[i - 1].end > c0 else c0
        next_start = groups[i + 1].start if i + 1 < len(groups) else c1
        g.pre, g.post = text[prev_end : g.start], text[g.end : min(c1, next_start)]
    return groups


def _judge(g: _Group, text: str) -> None:
    if ends_with(g.pre, _ENGAGED, _ENGAGE_FILLER, fillers=False):
        return  # "did not open our last email": an engagement, not a channel choice
    only = except_means_only(g.pre, text[g.end : g.end + 24])
    if only is not None:
        g.sign = 1 if only else -1
    elif negated_before(g.pre) or negated_after(g.post):
        g.sign = -1
    else:
        g.sign = 1
    g.first = ends_with(g.pre, _FIRST_BEFORE) or bool(_FIRST_AFTER.match(g.post))
    g.then = ends_with(g.pre, _THEN_BEFORE) or bool(_THEN_AFTER.match(g.post))
    g.then = g.then or bool(_IF_UNANSWERED.search(text[max(0, g.start - 64) : g.start]))


def _order(scan: Scan, positive: list[_Group], out: ChannelConstraints) -> None:
    then = [g for g in positive[1:] if g.then]  # "email first and text 2 days later"
    lead = sorted((g for g in positive if g not in then), key=lambda g: not g.first)
    if not then or not lead:
        return
    for g in [*lead, *then]:
        out.order += [c for c in g.channels if c not in out.order]
    for m in _WAIT.finditer(scan.text, lead[0].end, min(len(scan.text), then[-1].end + 30)):
        if scan.covered(m.start(), m.end()):
            continue
        n = m.group(1).lower()
        count = 0.5 if n.startswith("half") else 1.0 if not n[0].isdigit() else float(n)
        out.wait_hours = count * _HOURS[m.group(2)[0].lower()]
        scan.spans.append((m.start(), m.end()))
        return

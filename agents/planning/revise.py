"""An approver's reason (reject, or a comment asking for changes) read as goal amendments.

The reason goes through the goal parser, the same extractor that read the goal, so
``email only``, ``不要发短信``, ``no discount``, ``budget 500``, ``only high-value customers``
or ``晚上8点前发`` become constraints exactly as they would in a goal. A few requests only
make sense about a plan already shown, relative to it: ``smaller audience`` (at most half
of the audience shown), ``cheaper`` (at most half of its cost), ``friendlier`` (the warmer
tone), ``no offer``. The amended goal keeps every constraint of the goal (a reason narrows,
never widens what the operator said) and records the reason in ``Goal.amendments``, so the
evaluator holds the next revision to it and quotes the approver's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agents.goal import lexicon as lx
from agents.goal.numbers import normalize
from agents.goal.parser import parse_goal
from agents.planning import playbooks as pb
from prompts.catalog import say
from userops.cdp.segments.spec import SegmentSpec
from userops.plan import Constraints, Goal
from userops.privacy import redact

MAX_REASON = 300
"""Characters of a reason read (and kept in ``Goal.amendments``)."""

SMALLER = re.compile(
    r"smaller|fewer (?:people|users|customers|recipients)|too (?:broad|many|big|large|wide)"
    r"|narrow(?:er)?|reduce the audience|shrink|缩小|少一点|少一些|少点|太多|太大|太广|太宽"
    r"|更精准|精准一点",
    re.I,
)
LARGER = re.compile(
    r"larger|bigger|more (?:people|users|customers|recipients)|too (?:small|narrow|few)"
    r"|broaden|widen|expand|扩大|多一点|多一些|太少|太小|太窄|更多的?人",
    re.I,
)
CHEAPER = re.compile(
    r"cheaper|too expensive|costs? too much|lower (?:the )?cost|spend less|less money"
    r"|cut (?:the )?(?:cost|budget)|太贵|便宜|省钱|少花|成本太高|降低成本|花得?太多",
    re.I,
)
FRIENDLY = re.compile(
    r"friendl|warmer|\bwarm\b|softer|gentler|kinder|less (?:pushy|salesy|aggressive|formal|stiff)"
    r"|too (?:pushy|salesy|aggressive|formal|cold|stiff|harsh)|more (?:personal|human|caring)"
    r"|亲切|友好|友善|温和|温暖|温柔|热情|口语|生硬|太硬|推销味|太官方|太冷|语气",
    re.I,
)
NO_OFFER = re.compile(
    r"\bno (?:special )?(?:offers?|incentives?|deals?|perks?)\b"
    r"|without (?:an? |any )?(?:offers?|incentives?)"
    r"|(?:drop|remove|skip|lose) the (?:offers?|incentives?|deals?)"
    r"|不要(?:给|发|送|带|放|提)?(?:优惠|福利|利益点|好处)|去掉(?:优惠|福利|利益点)|别(?:给|发|提)?优惠",
    re.I,
)

BUDGET_TO = re.compile(
    r"(?:预算|花费|费用|成本|budget|spend(?:ing)?|costs?)\s{0,2}(?:降到|减到|改成|改为|调到|降低到"
    r"|压到|控制在|不超过|down to|to|at most|under|below|of)\s{0,2}[¥$￥]?\s{0,2}"
    r"(\d[\d,]{0,12}(?:\.\d{1,2})?)\s{0,2}(万|千|k)?",
    re.I,
)
CAP_TO = re.compile(
    r"(?:limit|cap|reduce|cut|shrink|narrow|keep)\b[^\d]{0,20}?(\d[\d,]{0,9})\s{0,2}"
    r"(?:people|persons|users|customers|recipients|members)"
    r"|(?:减到|降到|缩小到|控制在|只发|最多|不超过)\s{0,2}(\d[\d,]{0,9})\s{0,2}(?:个|位|名)?(?:人|用户|客户|会员)",
    re.I,
)
INSTEAD = [
    (
        ch,
        re.compile(
            rf"(?:instead of|rather than|not by|replace|而不是|代替|替代|换掉|不用|别用|不要用)"
            rf"\s{{0,3}}(?:the\s+|an?\s+)?(?:{pattern})",
            re.I,
        ),
    )
    for ch, pattern in lx.CHANNEL_WORDS
]
"""``use push instead of SMS``: the channel after the contrast word is ruled out."""

_RELATIVE = (SMALLER, LARGER, CHEAPER, FRIENDLY, NO_OFFER, BUDGET_TO, CAP_TO)
_QUESTION = re.compile(
    r"[?？]\s*$|^\s*(?:why|how|what|which|who|when|is|are|does|do|can|could|would|should)\b"
    r"|^\s*(?:为什么|为何|怎么|是否|能否|可以吗|有没有)|吗\s*$",
    re.I,
)


def is_question(text: str) -> bool:
    """Whether a comment asks a question (``why sms?``) rather than for a change."""
    return bool(_QUESTION.search(text[:MAX_REASON]))


@dataclass
class Amendment:
    """What a reason asks for, and the goal with it folded in."""

    goal: Goal
    """The amended goal (the original one when nothing was understood)."""
    asks: list[str] = field(default_factory=list)
    """What was understood, one short line each (``channels only email``, ``smaller``...)."""
    unread: list[str] = field(default_factory=list)
    """Parts of the reason that could not be used (said back on the card)."""
    conflicts: list[str] = field(default_factory=list)
    """Requests understood that the goal does not allow (a channel it rules out...)."""

    @property
    def understood(self) -> bool:
        """Whether the reason asked for a change (possible or not)."""
        return bool(self.asks or self.conflicts)


def amend(goal: Goal, reason: str, shown: dict[str, Any] | None = None) -> Amendment:
    """Fold ``reason`` into ``goal``; ``shown`` is the card the reason answers (sizes, cost)."""
    words = redact(reason.strip())[:MAX_REASON]
    if not words:
        return Amendment(goal)
    said = parse_goal(words, goal.language)
    _relative(said.constraints, normalize(words).text)
    c = goal.constraints.model_copy(deep=True)
    asks: list[str] = []
    conflicts = _channels(c, said.constraints, asks, goal.language)
    extra = ["discount", "coupon"] if NO_OFFER.search(words) else []
    added = list(dict.fromkeys(k for k in [*said.constraints.content_exclusions, *extra]))
    added = [k for k in added if k not in c.content_exclusions]
    if added:
        c.content_exclusions = [*c.content_exclusions, *added]
        asks.append("copy without " + ", ".join(added))
    narrowed = bool(said.audience.all_ or said.audience.any_ or said.audience.none)
    _money(c, said.constraints, words, shown or {}, asks, halve=not narrowed)
    if said.constraints.send_window is not None:
        c.send_window = said.constraints.send_window
        asks.append(f"window {c.send_window.start}-{c.send_window.end}")
    copy_lang = said.constraints.content_language
    if copy_lang and copy_lang != c.content_language:
        c.content_language = copy_lang
        asks.append(f"copy in {c.content_language}")
    if FRIENDLY.search(words) and c.tone != "friendly":
        c.tone = "friendly"
        asks.append("friendlier tone")
    if LARGER.search(words) and not SMALLER.search(words):
        asks.append("larger audience")
    audience, unread = _audience(goal, said.audience)
    if audience is not goal.audience:
        asks.append("audience: " + "; ".join(said.audience_hints or ["narrowed"]))
    update: dict[str, Any] = {
        "constraints": c,
        "audience": audience,
        "audience_hints": [*goal.audience_hints, *said.audience_hints],
        "amendments": [*goal.amendments, words],
    }
    read = [*said.not_understood, *(q.words for q in said.questions)]
    rest = [w for w in read if not any(p.search(normalize(w).text) for p in _RELATIVE)]
    return Amendment(goal.model_copy(update=update), asks, unread + rest, conflicts)


def _relative(said: Constraints, text: str) -> None:
    """What the parser reads only in a goal's phrasing, said about a plan shown.

    ``预算降到500``, ``cut the budget to 300``, ``limit it to 200 people``, ``use push
    instead of SMS`` (``text`` has its numerals in digits).
    """
    m = BUDGET_TO.search(text)
    if m and said.budget is None:
        unit = {"万": 10000, "千": 1000, "k": 1000, "K": 1000}.get(m.group(2) or "", 1)
        said.budget = float(m.group(1).replace(",", "")) * unit
    m = CAP_TO.search(text)
    if m and said.max_recipients is None:
        said.max_recipients = int((m.group(1) or m.group(2)).replace(",", ""))
    for ch, pattern in INSTEAD:
        if pattern.search(text):
            said.channels_allowed = [a for a in said.channels_allowed if a != ch]
            if ch not in said.channels_forbidden:
                said.channels_forbidden.append(ch)


def _channels(c: Constraints, said: Constraints, asks: list[str], lang: str) -> list[str]:
    """Fold the reason's channels into ``c``; return the ones the goal does not allow."""
    goal_channels = ", ".join(c.channels_allowed)
    conflicts = [
        say("revise.channel_outside", lang, ch=ch, all=goal_channels)
        for ch in said.channels_allowed
        if c.channels_allowed and ch not in c.channels_allowed
    ]
    conflicts += [
        say("revise.channel_ruled_out", lang, ch=ch)
        for ch in said.channels_allowed
        if ch in c.channels_forbidden and ch not in said.channels_forbidden
    ]
    if said.channels_forbidden:
        new = [ch for ch in said.channels_forbidden if ch not in c.channels_forbidden]
        c.channels_forbidden = [*c.channels_forbidden, *new]
        if new:
            asks.append("never " + ", ".join(new))
    if said.channels_allowed:
        base = c.channels_allowed or said.channels_allowed
        allowed = [ch for ch in said.channels_allowed if ch in base]
        allowed = [ch for ch in allowed if ch not in c.channels_forbidden]
        if allowed and allowed != c.channels_allowed:
            c.channels_allowed = allowed
            asks.append("channels only " + ", ".join(allowed))
    if said.channel_order:
        c.channel_order = list(said.channel_order)
        c.fallback_after_hours = said.fallback_after_hours or c.fallback_after_hours
        asks.append("order " + " > ".join(c.channel_order))
    keep = [
        ch
        for ch in c.channel_order
        if ch not in c.channels_forbidden and (not c.channels_allowed or ch in c.channels_allowed)
    ]
    if keep != c.channel_order:
        c.channel_order = keep if len(keep) >= 2 else []
        if not c.channel_order:
            c.fallback_after_hours = None
    return conflicts


def _money(
    c: Constraints,
    said: Constraints,
    words: str,
    shown: dict[str, Any],
    asks: list[str],
    *,
    halve: bool,
) -> None:
    budget = said.budget
    cost = float((shown.get("preflight") or {}).get("cost") or 0.0)
    if budget is None and CHEAPER.search(words) and cost > 0:
        budget = round(cost * 0.5, 2)
    if budget is not None and (c.budget is None or budget < c.budget):
        c.budget = budget
        asks.append(f"budget {budget:g}")
    cap = said.max_recipients
    size = int(shown.get("audience_size") or 0)
    if cap is None and halve and SMALLER.search(words) and not LARGER.search(words) and size > 1:
        cap = max(1, size // 2)
    if cap is not None and (c.max_recipients is None or cap < c.max_recipients):
        c.max_recipients = cap
        asks.append(f"at most {cap} recipients")


def _audience(goal: Goal, said: SegmentSpec) -> tuple[SegmentSpec, list[str]]:
    """``goal.audience`` AND the reason's predicates (the playbook's when the goal named none)."""
    if not (said.all_ or said.any_ or said.none):
        return goal.audience, []
    a = goal.audience
    if not (a.all_ or a.any_ or a.none or a.search) and goal.objective is not None:
        a = pb.default_audience(goal.objective)
    all_, any_, unread = list(a.all_), list(a.any_), []
    if said.any_ and any_ and len(said.any_) > 1:
        unread.append("; ".join(str(p.model_dump()) for p in said.any_))
    elif said.any_ and any_:
        all_ += said.any_
    else:
        any_ = any_ or list(said.any_)
    all_ += [p for p in said.all_ if p not in all_]
    none = [*a.none, *[p for p in said.none if p not in a.none]]
    return a.model_copy(update={"all_": all_, "any_": any_, "none": none}), unread

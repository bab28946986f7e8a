"""Recency, signup age, order frequency and spend in a goal, with any duration or count.

``三个月没下单`` → ``days_since_last_order >= 90``; ``最近一个月下过单`` → ``<= 30``;
``最后一次下单在30到90天之间`` → ``between [30, 90]``; ``注册两周内`` → ``days_since_signup <= 14``;
``下单3次以上`` → ``orders_total >= 3``; ``90天内下单3次以上`` → at least 3 ``order`` events in
90 days; ``消费满一万`` → ``monetary_365d >= 10000`` (a spend over another period than the
last year is asked about); ``客单价300元以上`` → ``aov >= 300``. Patterns run on the
normalized text (digits only, see :mod:`agents.goal.numbers`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agents.goal import words as gw
from agents.goal.extract import Scan
from agents.goal.numbers import AMOUNT, CURRENCY, DUR, amount, to_days
from userops.cdp.segments.spec import CountCondition, EventPredicate

Add = Callable[..., None]

_BOUGHT_ZH = r"(?:下过?单|购买|买过?(?:东西)?|消费|复购|买东西)"
_BOUGHT_EN = (
    r"(?:ordered|purchased|bought|shopped|placed an order|made a purchase|orders?|purchases?)"
)
_LAST = r"(?:the\s+)?(?:last\s+|past\s+)?"
_NOT_ORDERED = (
    rf"(?:最近|近|过去|超过|已经?|快|将近|有)?\s*(?P<d>{DUR})\s*(?:内|以来|以上|多)?\s*(?:都|一直|再)?\s*"
    rf"(?:没有?|未|无|没再|不曾)\s*(?:再|来|有)?\s*{_BOUGHT_ZH}"
    rf"|(?:\bnot|n't|\bnever|\bno|\bwithout)\s+(?:any\s+)?{_BOUGHT_EN}(?:\s+anything)?\s+"
    rf"(?:in|for|within|over)\s+(?:about|around|roughly|like|over|more than|almost|nearly)?\s*"
    rf"{_LAST}(?P<e>{DUR})"
    rf"|last\s+(?:ordered|purchased|bought)\s+(?:more than|over|at least)\s+(?P<f>{DUR})\s+ago"
)
_ORDERED = (
    rf"(?:最近|近|过去)\s*(?P<d>{DUR}|周|月)\s*(?:内|以内|以来)?\s*(?:下过单|有下单|下单|购买过|买过|有购买)"
    rf"|(?:ordered|purchased|bought|shopped)\s+(?:with us\s+)?(?:in|within)\s+(?:the\s+)?"
    rf"(?:last|past)\s+(?P<e>{DUR}|week|month|year)"
    rf"|(?:buyers|customers|shoppers|purchasers)\s+from\s+the\s+(?:last|past)\s+(?P<f>{DUR}|week|month)"
)
_BETWEEN = (
    r"(?:最后[一1]次|上次)(?:下单|购买)(?:时间)?(?:在|是|距今)?\s*(\d{1,4})\s*天?\s*(?:到|至|-|~)\s*(\d{1,4})\s*天"
    r"|(\d{1,4})\s*(?:到|至|-|~)\s*(\d{1,4})\s*天\s*(?:内)?\s*(?:没有?|未)\s*(?:下单|购买|复购|买)"
    r"|(?:\bnot|n't|\bnever)\s+(?:ordered|purchased|bought|shopped)\s+(?:anything\s+)?(?:in|for)\s+"
    r"(\d{1,4})\s*(?:to|-|and)\s*(\d{1,4})\s+days"
    r"|last (?:order|purchase)\s+(?:was\s+)?between\s+(\d{1,4})\s+and\s+(\d{1,4})\s+days"
)
_LEAVE_OUT_PRE = (
    r"(?:don't|do not|never)\s+(?:bother|message|contact|target|include|disturb)\b[^,.;]{0,30}$"
    r"|\b(?:exclude|excluding|leave out|skip|except|minus)\b[^,.;]{0,30}$"
)
_LEAVE_OUT_POST = (
    r"[^，。,；;]{0,4}?(?:的)?(?:人|用户|客户)?\s*(?:就|都|也)?\s*(?:别|不要|排除|去掉|除外)"
)
_BOUGHT_LEFT_OUT = (
    r"(?:已经|已)(?:下过单|买过(?:东西)?|购买过)的(?:人|用户|客户)?\s*(?:就|都|也)?\s*(?:别|不要|排除|去掉)"
    r"|(?:don't|do not|never)\s+(?:bother|message|contact|target|include)\s+(?:people|anyone|those"
    r"|customers|users)\s+who\s+(?:have\s+)?(?:already\s+)?(?:bought|ordered|purchased)\b(?!\s+in\b)"
)
_SIGNUP_WITHIN = (
    rf"(?:新)?注册\s*(?:时间)?\s*(?:不到|不足|少于|在)?\s*(?P<d>{DUR})\s*(?:内|以内|之内)?"
    rf"|(?:最近|近|过去)?\s*(?P<e>{DUR})\s*(?:内|以内)?\s*(?:新)?注册"
    rf"|(?:signed up|registered|joined)\s+(?:in|within)\s+(?:the\s+)?(?:last|past)\s+(?P<f>{DUR}"
    rf"|week|month)"
    rf"|(?:signed up|registered|joined)\s+(?:less than|under|within)\s+(?P<g>{DUR})\s+ago"
    rf"|sign-?ups?\s+from\s+the\s+(?:last|past)\s+(?P<h>{DUR})"
)
_SIGNUP_OVER = (
    rf"注册\s*(?:超过|满|已超过|多于|已满|已经?)\s*(?P<d>{DUR})"
    rf"|(?:signed up|registered|joined)\s+(?:more than|over)\s+(?P<e>{DUR})\s+ago"
)
_COUNT = (
    rf"(?:(?:最近|近|过去)?\s*(?P<d>{DUR})\s*(?:内|以内)?\s*)?(?:累计)?\s*{_BOUGHT_ZH}\s*过?了?\s*"
    r"(?P<op>超过|多于|大于|至少|不少于)?\s*(?P<num>\d{1,4})\s*次\s*(?P<post>以上|及以上|或以上|以下|以内)?"
    r"|(?:ordered|purchased|bought|placed)\s+(?P<op2>at least\s+|more than\s+)?"
    r"(?:(?P<num2>\d{1,4})\s*(?P<plus>\+|or more)?\s*(?:times?|orders|purchases)"
    r"|(?P<num3>twice|once|thrice))"
    r"(?P<post2>\s+or more)?(?:\s+in\s+the\s+(?:last|past)\s+(?P<e>" + DUR + "))?"
)
_ONCE = (
    r"(?:只|仅)(?:下单|购买|买)过?\s*1\s*次|(?:one|1)-time (?:buyers|customers|purchasers|shoppers)"
)
_ONCE += r"|(?:ordered|bought|purchased) (?:just |only )once"
_SPEND = (
    rf"(?:(?:近|最近|过去)?(?P<d>{DUR})\s*(?:内)?)?\s*(?:累计)?消费(?:额|金额)?\s*(?P<op>超过|大于|高于|满|过|达到|不低于"
    rf"|至少|在|低于|少于|不到|不足)\s*{CURRENCY}{AMOUNT}"
    rf"|(?:(?:近|最近|过去)?(?P<g>{DUR})\s*(?:内)?)?\s*(?:累计)?消费(?:额|金额)?\s*(?P<op3>){CURRENCY}{AMOUNT}"
    rf"\s*(?:元|块)?\s*(?:以上|及以上)"
    rf"|(?:spent|spend)\s+(?P<op2>over|more than|above|at least|exceeding|less than|under|below)\s*"
    rf"{CURRENCY}{AMOUNT}(?:\s+in\s+the\s+(?:last|past)\s+(?P<e>{DUR}|year))?"
)
_AOV = (
    rf"(?:客单价|平均订单金额|average order(?: value| size)?|\baov\b)(?:\s+is)?"
    rf"\s*(?P<op>在|超过|高于|大于|above|over|of at least|at least|more than|低于|少于|不到|不足"
    rf"|less than|under|below)?"
    rf"\s*{CURRENCY}{AMOUNT}"
)
_LESS = ("低于", "少于", "不到", "不足", "less than", "under", "below")
_WORDS_N = {"twice": 2, "once": 1, "thrice": 3}


def _days(m: re.Match[str]) -> int | None:
    phrase = next((v for k, v in m.groupdict().items() if len(k) == 1 and v), None)
    return to_days(phrase) if phrase else None


def extract_recency(scan: Scan, add: Add, events: list[EventPredicate]) -> None:
    """Add the signup-age, frequency and recency predicates the goal states."""
    if m := scan.find_free(_SIGNUP_OVER):
        if (days := _days(m)) is not None:
            add("days_since_signup", ">=", days)
    elif m := scan.find_free(_SIGNUP_WITHIN):
        if (days := _days(m)) is not None:
            add("days_since_signup", "<=", days)
    _frequency(scan, add, events)
    m = scan.find_free(_BETWEEN)
    if m:
        lo, hi = (int(x) for x in m.groups() if x)
        add("days_since_last_order", "between", [lo, hi])
    elif m := scan.find_free(_NOT_ORDERED):
        if (days := _days(m)) is not None:
            add("days_since_last_order", ">=", days)
    elif m := scan.find_free(_ORDERED):
        if (days := _days(m)) is not None:
            left_out = _left_out(scan, m)  # "don't bother people who bought in the last 30 days"
            add("days_since_last_order", ">" if left_out else "<=", days)
    elif scan.find_free(_BOUGHT_LEFT_OUT):
        add("orders_total", "=", 0)


def _left_out(scan: Scan, m: re.Match[str]) -> bool:
    c0, c1 = scan.clause_of(m.start())
    pre, post = scan.text[max(c0, m.start() - 48) : m.start()], scan.text[m.end() : c1][:16]
    return bool(re.search(_LEAVE_OUT_PRE, pre, re.I) or re.match(_LEAVE_OUT_POST, post))


def _frequency(scan: Scan, add: Add, events: list[EventPredicate]) -> None:
    if scan.find_free(_ONCE):
        add("orders_total", "=", 1)
        return
    m = scan.find_free(_COUNT)
    if m is None:
        return
    g = m.groupdict()
    raw = (g["num"] or g["num2"] or g["num3"] or "").lower()
    n = _WORDS_N.get(raw) or int(raw)
    words = " ".join(filter(None, (g["op"], g["post"], g["op2"], g["plus"], g["post2"])))
    op = (
        ">"
        if re.search(r"超过|多于|大于|more than", words)
        else "<"
        if re.search(r"以下", words)
        else "<="
        if "以内" in words
        else ">="
        if words
        else "="
    )
    window = _days(m)
    if window is None:
        add("orders_total", op, n)
        return
    events.append(
        EventPredicate(event="order", count=CountCondition(op=op, value=n), within_days=window)
    )


def extract_spend(scan: Scan, add: Add, lang: str) -> None:
    """Add spend (last 365 days) and average-order-value thresholds."""
    m = scan.find_free(_SPEND)
    if m:
        words = m.group("op") or m.group("op2") or ""
        op = next(k for k in ("op", "op2", "op3") if m.group(k) is not None)
        op_end = m.end(op)
        am = re.search(AMOUNT, scan.text[op_end : m.end()])
        if am is None:
            return
        add("monetary_365d", "<" if words in _LESS else ">=", amount(am.group(1), am.group(2)))
        window = _days(m)
        if window is not None and not 360 <= window <= 366:
            scan.ask("audience", m.start(), m.end(), gw.ASK["spend_window"][lang])
    m = scan.find_free(_AOV)
    if m:
        am = re.search(AMOUNT, scan.text[m.end("op") if m.group("op") else m.start() : m.end()])
        if am is not None:
            op = "<" if (m.group("op") or "") in _LESS else ">="
            add("aov", op, amount(am.group(1), am.group(2)))

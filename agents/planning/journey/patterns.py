"""Linear-time patterns for journey goals: durations, times, events, exits, re-entry, limits.

Every pattern is a flat alternation with bounded repeats (no nested quantifiers), applied to
one normalized clause (numerals already digits, :func:`agents.goal.numbers.normalize`).
"""

from __future__ import annotations

import re

from agents.goal import lexicon as lx

ORDER = "Order Completed"
APP_OPEN = "app_open"

DURATION = re.compile(
    r"(\d{1,4}(?:\.\d{1,2})?)\s?(?:个\s?)?(分钟|小时|钟头|天|日|周|星期|礼拜|月"
    r"|minutes?|mins?|hours?|hrs?|days?|weeks?|months?)(?![a-z])"
    r"|(半小时|半个小时|half an hour|another hour|another day|another week|an hour|a day"
    r"|one day|a week|one week|an? month"
    r"|次日|第二天|隔天|隔日|next day|the day after)",
    re.I,
)
_UNIT_S = {
    "分": 60, "min": 60, "小": 3600, "钟": 3600, "h": 3600, "天": 86400, "日": 86400,
    "d": 86400, "周": 604800, "星": 604800, "礼": 604800, "w": 604800, "月": 2592000,
    "mo": 2592000,
}  # fmt: skip
_WORD_S = {
    "半小时": 1800, "半个小时": 1800, "half an hour": 1800, "an hour": 3600, "a day": 86400,
    "one day": 86400, "a week": 604800, "one week": 604800, "a month": 2592000,
    "an month": 2592000, "次日": 86400, "第二天": 86400, "隔天": 86400, "隔日": 86400,
    "next day": 86400, "the day after": 86400, "another hour": 3600, "another day": 86400,
    "another week": 604800,
}  # fmt: skip
BEFORE = re.compile(
    r"(?:前|提前)\s?\d{0,3}\s?(?:个\s?)?(?:天|日|周|小时)|\d{1,3}\s?(?:个\s?)?(?:天|日|周|小时)\s?前"
    r"|\bbefore\s(?:their|the|his|her|a|each)\b|\bahead of\b|\bin advance\b|\bprior to\b",
    re.I,
)
"""An offset before the trigger (``生日前1天``, *2 days before their birthday*): not possible."""
STEP_SPLIT = re.compile(
    r"然后|接着|之后再|再(?!次)|\s(?:and\s)?then\s"
    r"|\sand\s(?=(?:an?\s|another\s)?(?:send|push|email|text|sms|message|remind|notify|nudge"
    r"|invite|wait|follow)\b)",
    re.I,
)
"""Where one clause holds two steps (``…and an SMS after another day``, ``再发短信``)."""

TIME = re.compile(
    r"(上午|早上|中午|下午|晚上)?\s?(\d{1,2})\s?(?:点|時|时)(半|\s?\d{1,2}\s?分)?"
    r"|(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])"
    r"|(?<![\d:])(\d{1,2})(?::(\d{2}))?\s?(am|pm|a\.m\.|p\.m\.)",
    re.I,
)
RANGE = re.compile(
    r"\d\s?(?:点|時|时)?\s?(?:到|至)|之间|\bbetween\b|\d\s?(?:[ap]\.?m\.?)?\s?(?:[-~–]|to)\s?\d",
    re.I,
)
"""A window of times (``10点到18点``, *9am-6pm*): the goal parser's send window, not a wait."""

NOT_DONE = re.compile(
    r"(?:没有|没|未|还没|尚未|不)\s?(下单|购买|买|付款|支付|完成首单|打开|登录|回来)"
    r"|(?:no|without an?|without|haven't|hasn't|have not|has not|didn't|did not|don't|do not"
    r"|doesn't|does not|not yet|still no|still not|never)\s(?:yet\s)?(?:an?\s|their\s|any\s)?"
    r"(order|ordered|ordering|orders|purchase|purchased|purchases|bought|buy|open|opened"
    r"|opens|log in|logged in|come back|came back)",
    re.I,
)
EXIT = re.compile(
    r"(下单|购买|买了|付款|支付|转化|打开\s?app|打开|登录)\s?(?:就|即|后|则|了就|之后)?\s?"
    r"(?:立即|马上)?\s?(?:退出|结束|停止|出旅程|不再发)"
    r"|直到\s?(?:用户)?(下单|购买|付款|打开|登录)"
    r"|(?:exit|exits|stop|stops|leave|leaves|end|ends|drop out)\s(?:the\s(?:journey|flow)\s)?"
    r"(?:when|once|as soon as|if|after|on)\s(?:they\s|the user\s|users\s|someone\s|a user\s)?"
    r"(orders?|place an order|places an order|purchases?|buys?|converts?|opens? the app|logs? in)"
    r"|until\s(?:they\s|the user\s)?(orders?|place an order|purchases?|buy|convert|open the app)",
    re.I,
)
REENTRY_NEVER = re.compile(
    r"只(?:进入|触发|能进入)?\s?[一1]\s?次|仅\s?[一1]\s?次|不重复进入|不再重复"
    r"|每人(?:只|仅)(?:进入)?\s?[一1]\s?次"
    r"|once per (?:user|person|customer)|only once|never re-?enter|one time only|just once",
    re.I,
)
REENTRY_AFTER = re.compile(
    r"每\s?(\d{1,4})\s?天\s?(?:最多|至多|只)?\s?(?:进入)?\s?[一1]\s?次"
    r"|(\d{1,4})\s?天\s?(?:后|以后)?\s?(?:可以|可|才能|才可以)?\s?(?:再次|重新)\s?进入"
    r"|(?:re-?enter|enter again|re-?trigger)\s(?:after|every)\s(\d{1,4})\s?days?"
    r"|(?:at most )?once (?:every|per|in)\s(\d{1,4})\s?days?",
    re.I,
)
PER_USER = re.compile(
    r"每\s?(?:人|个用户|位用户)?\s?每?\s?(\d{1,3})?\s?(?:个\s?)?(天|周|星期|月)\s?(?:最多|至多|不超过)"
    r"\s?(\d{1,3})\s?(?:条|次|封)"
    r"|(?:at most|no more than|max(?:imum)?(?: of)?|up to)\s(\d{1,3})\s(?:messages?|sends)\s"
    r"(?:per|a|an|every|each)\s(?:user\s(?:per|a|an|every|each)\s)?(\d{1,3}\s)?(day|week|month)s?",
    re.I,
)
"""Messages per user over a rolling window (``每人每周最多2条``, *at most 3 messages a week*)."""
REENTRY_ANY = re.compile(
    r"(?:可以|可|允许)\s?(?:再次|重新|重复)\s?进入"
    r"|\b(?:can|may)\s(?:re-?enter|enter again)\b|re-?entry (?:is )?allowed",
    re.I,
)
WEEKDAY = re.compile(
    r"(?:周|星期|礼拜)([一二三四五六日天1-7])|\b(mon|tues|wednes|thurs|fri|satur|sun)day\b", re.I
)
_WEEKDAYS = {
    "一": "mon", "1": "mon", "二": "tue", "2": "tue", "三": "wed", "3": "wed", "四": "thu",
    "4": "thu", "五": "fri", "5": "fri", "六": "sat", "6": "sat", "日": "sun", "天": "sun",
    "7": "sun", "mon": "mon", "tues": "tue", "wednes": "wed", "thurs": "thu", "fri": "fri",
    "satur": "sat", "sun": "sun",
}  # fmt: skip
_PER_DAYS = {"天": 1, "day": 1, "周": 7, "星期": 7, "week": 7, "月": 30, "month": 30}


def weekdays_in(clause: str) -> list[str]:
    """Weekdays named in ``clause`` (``mon`` … ``sun``), in order, once each."""
    out: list[str] = []
    for m in WEEKDAY.finditer(clause):
        day = _WEEKDAYS[(m.group(1) or m.group(2)).lower()]
        if day not in out:
            out.append(day)
    return out


def per_user_of(m: re.Match[str]) -> dict[str, int]:
    """``{"count", "days"}`` of a :data:`PER_USER` match."""
    if m.group(3):
        n, unit, count = int(m.group(1) or 1), m.group(2), int(m.group(3))
    else:
        count, n, unit = int(m.group(4)), int((m.group(5) or "1").strip()), m.group(6).lower()
    return {"count": count, "days": n * _PER_DAYS[unit]}


ORDER_AMOUNT = re.compile(
    r"(?:订单|下单|单笔|消费|购买)\s?(?:金额)?\s?(满|超过|大于|高于|不低于|达到|至少)\s?(\d{1,7})\s?(?:元|块)"
    r"|(?:orders?|purchases?)\s(?:of|over|above|more than|at least|worth)\s(?:[$¥€£]\s?)?(\d{1,7})",
    re.I,
)
"""An order amount on the trigger (``订单金额超过500元``, *an order over $100*)."""


def amount_filter(m: re.Match[str]) -> dict[str, object]:
    """The trigger's ``where`` for an :data:`ORDER_AMOUNT` match."""
    if m.group(2):
        op = ">" if m.group(1) in ("超过", "大于", "高于") else ">="
        return {"amount": {"op": op, "value": int(m.group(2))}}
    strict = any(w in m.group(0).lower() for w in ("over", "above", "more than"))
    return {"amount": {"op": ">" if strict else ">=", "value": int(m.group(3))}}


LIMIT = re.compile(
    r"(?:最多|至多|不超过|不要超过)\s?(\d{1,3})\s?(?:条|次|封)"
    r"|(?:at most|no more than|max(?:imum)?(?: of)?|up to)\s(\d{1,3})\s(?:messages?|sends|touches)",
    re.I,
)
OFFER = re.compile(
    r"(?:立减|减|送)\s?\d{1,5}\s?元|\d{1,5}\s?元\s?(?:优惠券|代金券|券|红包|优惠)"
    r"|满\s?\d{1,5}\s?减\s?\d{1,5}|\d(?:\.\d)?\s?折|\d{1,2}\s?%\s?off"
    r"|[$¥€£]\s?\d{1,5}(?:\.\d{2})?\s?(?:off|coupon|voucher)",
    re.I,
)
"""An offer in the operator's words: an amount with an offer word (a bare amount is not)."""
SEND_VERB = re.compile(
    r"发|推送|提醒|通知|触达|问候|祝福|致谢|邀请"
    r"|\b(?:send|sends|sending|push|email|text|message|remind|notify|nudge|follow up|greet"
    r"|wish|invite|thank)\b",
    re.I,
)
CONSTRAINT = re.compile(
    r"不要|别|不能|禁止|只|仅|预算|花费|成本|晚上|夜里|凌晨"
    r"|\b(?:no|not|don't|do not|never|only|budget|cost|spend|night|except|without)\b",
    re.I,
)
NEGATED = re.compile(
    r"不要|别|不能|禁止|不用|无需|不许|除了"
    r"|\b(?:don't|do not|never|no|not|without|except|avoid)\b",
    re.I,
)
ONLY = re.compile(r"只|仅|\bonly\b|\bjust\b", re.I)
CHANNELS = [(ch, re.compile(p, re.I)) for ch, p in lx.CHANNEL_WORDS]
_NOT_CHANNEL = re.compile(r"电话号码|phone number", re.I)

_EVENT_WORDS = (
    ("打开", APP_OPEN), ("登录", APP_OPEN), ("回来", APP_OPEN), ("open", APP_OPEN),
    ("log", APP_OPEN), ("came back", APP_OPEN), ("come back", APP_OPEN),
)  # fmt: skip


def event_of(word: str) -> str:
    """The event a verb names: opening or logging in is ``app_open``, else an order."""
    low = word.lower()
    return next((ev for w, ev in _EVENT_WORDS if w in low), ORDER)


def seconds_of(m: re.Match[str]) -> int:
    """Seconds of a :data:`DURATION` match."""
    if m.group(3):
        return _WORD_S[m.group(3).lower()]
    n, unit = float(m.group(1)), m.group(2).lower()
    per = next((s for k, s in _UNIT_S.items() if unit.startswith(k)), 86400)
    return int(round(n * per))


def clock_of(m: re.Match[str]) -> str | None:
    """``HH:MM`` of a :data:`TIME` match (None when it is not a time of day)."""
    if m.group(2):
        h, part = int(m.group(2)), m.group(1) or ""
        extra = m.group(3) or ""
        minute = 30 if extra == "半" else int(re.sub(r"\D", "", extra) or 0)
        if part in ("下午", "晚上") and h < 12:
            h += 12
    elif m.group(4):
        h, minute = int(m.group(4)), int(m.group(5))
    else:
        h, minute = int(m.group(6)), int(m.group(7) or 0)
        if m.group(8).lower().startswith("p") and h < 12:
            h += 12
        elif m.group(8).lower().startswith("a") and h == 12:
            h = 0
    if h > 23 or minute > 59:
        return None
    return f"{h:02d}:{minute:02d}"


def channels_in(clause: str) -> list[str]:
    """Channels named in ``clause``, in order of appearance."""
    if _NOT_CHANNEL.search(clause):
        clause = _NOT_CHANNEL.sub(" ", clause)
    found: list[tuple[int, str]] = []
    for ch, pattern in CHANNELS:
        m = pattern.search(clause)
        if m:
            found.append((m.start(), ch))
    return [ch for _, ch in sorted(found)]

"""The operator's sending window in a goal, in Chinese or English.

Understood: ranges (``上午10点到下午6点``, ``10点到18点之间``, ``下午2点到6点``,
``between 10am and 6pm``, ``10:00-18:00``, ``from 9 to 5pm``), one-sided limits
(``晚上8点前``, ``before 8pm``, ``10点以后``, ``after 10am``) and words (``白天发``,
``工作时间``, ``business hours``, ``晚上不要打扰``). A one-sided limit is closed by the
usual day (09:00 or 21:00). Times are local to each user; the engine enforces the window
together with the policy's quiet hours; :func:`agents.evaluation.window.window_finding` tells the
evaluator whether the window can be used at all.
"""

from __future__ import annotations

import re

from userops.plan import Goal, TimeWindow

_PERIOD = r"凌晨|早上|早晨|清晨|上午|中午|下午|傍晚|晚上|夜里|夜间"
_PM_PERIODS = {"下午", "傍晚", "晚上", "夜里", "夜间"}
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}


def _tok(i: int) -> str:
    # Whitespace is matched possessively (``\s*+``), and only after a word or digit has
    # matched: a long run of blanks costs one pass, not one per split (it was cubic).
    return (
        rf"(?:(?P<p{i}>{_PERIOD})\s*+)?(?P<h{i}>\d{{1,2}}|[零一二两三四五六七八九十]{{1,3}})"
        rf"(?:\s*+[:：](?P<m{i}>\d{{2}})|\s*+(?P<d{i}>点|时)"
        rf"(?:\s*+(?P<half{i}>半)|\s*+(?P<mm{i}>\d{{1,2}})\s*+分)?)?"
        rf"(?:\s*+(?P<ap{i}>[ap]\.?m\b\.?))?"
    )


_SEP = r"\s*+(?:到|至|-|–|—|~|～|to|and|until|till)\s*+"
_RANGE = re.compile(rf"(?:(?P<lead>between|from|从|在)\s*+)?{_tok(1)}{_SEP}{_tok(2)}", re.I)
_BEFORE = re.compile(
    rf"(?:before|by|until|no later than)\s++{_tok(1)}|{_tok(2)}\s*+(?:之前|以前|前)", re.I
)
_AFTER = re.compile(rf"(?:after|from)\s++{_tok(1)}|{_tok(2)}\s*+(?:之后|以后|后)", re.I)
_NOT_AFTER = re.compile(
    rf"(?:don't|do not|never|no)\s++(?:\w++\s++){{0,3}}after\s++{_tok(1)}"
    rf"|{_tok(2)}\s*+(?:之后|以后|后)\s*+(?:就|都)?\s*+(?:不要|别|勿|不)"
    rf"|(?:不要|别|勿)\s*+在?\s*+{_tok(3)}\s*+(?:之后|以后|后)",
    re.I,
)
"""A negated "after": ``don't send anything after 9pm``, ``晚上10点以后不要打扰`` end the window."""
_WORK = r"工作时间|上班时间|business hours|office hours"
_MORNING = r"上午|\bin the morning\b"
_AFTERNOON = r"下午|\bin the afternoon\b"
_DAY = (
    r"(晚上|夜间|夜里|深夜)\s*+(不要|别|勿|不)\s*+(打扰|发)|白天发|白天|免打扰"
    r"|(no|don't|do not|not)\s++(?:\w++\s++){0,3}(at night|in the evening|overnight)"
    r"|daytime only|during the day"
)


def _hour(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text.startswith("十"):
        return 10 + (_CN_DIGITS.get(text[1:], 0) if len(text) > 1 else 0)
    if len(text) >= 2 and text[1] == "十":
        return _CN_DIGITS.get(text[0], 0) * 10 + (_CN_DIGITS.get(text[2:], 0) if text[2:] else 0)
    return _CN_DIGITS.get(text, -1)


class _Time:
    """One clock time as written: hour, minute, and its am/pm hint."""

    def __init__(self, m: re.Match[str], i: int) -> None:
        g = m.groupdict()
        self.period = g.get(f"p{i}")
        ap = (g.get(f"ap{i}") or "").lower().replace(".", "")
        self.ap = ap or None
        self.hour = _hour(g[f"h{i}"])
        minute = g.get(f"m{i}") or g.get(f"mm{i}") or ("30" if g.get(f"half{i}") else "0")
        self.minute = int(minute)
        self.timey = bool(self.period or self.ap or g.get(f"m{i}") or g.get(f"d{i}"))

    @property
    def pm(self) -> bool | None:
        if self.ap:
            return self.ap == "pm"
        if self.period:
            return self.period in _PM_PERIODS or (self.period == "中午" and self.hour < 11)
        return None

    def clock(self, pm: bool | None = None) -> tuple[int, int] | None:
        """24-hour ``(hour, minute)``; ``pm`` is the hint from the other end of a range."""
        pm = self.pm if self.pm is not None else pm
        h = self.hour
        if h < 0 or h > 24 or self.minute > 59:
            return None
        if pm and h < 12:
            h += 12
        elif pm is False and self.ap and h == 12:
            h = 0
        return (h % 24, self.minute)


def _fmt(c: tuple[int, int]) -> str:
    return f"{c[0]:02d}:{c[1]:02d}"


def _from_range(m: re.Match[str]) -> TimeWindow | None:
    a, b = _Time(m, 1), _Time(m, 2)
    if not (b.timey or (a.timey and m.group("lead"))):
        return None  # "1000-2000元", "10 to 20 percent": not clock times
    end = b.clock(a.pm if a.period else None)
    if end is None:
        return None
    start = a.clock()
    if start is not None and a.pm is None and b.pm and start[0] + 12 < end[0]:
        start = (start[0] + 12, start[1])  # "between 2 and 6pm"
    if start is None or start == end:
        return None
    return TimeWindow(start=_fmt(start), end=_fmt(end))


def _one_side(m: re.Match[str]) -> tuple[int, int] | None:
    i = next(i for i in (1, 2, 3) if m.groupdict().get(f"h{i}"))
    t = _Time(m, i)
    return t.clock() if t.timey else None


def find_window(text: str) -> tuple[TimeWindow, tuple[int, int]] | None:
    """The sending window in ``text`` and the span it came from, or None."""
    for m in _RANGE.finditer(text):
        w = _from_range(m)
        if w is not None:
            return w, (m.start(), m.end())
    b = _NOT_AFTER.search(text) or _BEFORE.search(text)
    end = _one_side(b) if b else None
    if b and end is not None and end > (9, 0):
        return TimeWindow(start="09:00", end=_fmt(end)), (b.start(), b.end())
    a = _AFTER.search(text)
    start = _one_side(a) if a else None
    if a and start is not None and start < (21, 0):
        return TimeWindow(start=_fmt(start), end="21:00"), (a.start(), a.end())
    for pattern, window in (
        (_WORK, ("09:00", "18:00")),
        (_DAY, ("09:00", "21:00")),
        (_MORNING, ("09:00", "12:00")),
        (_AFTERNOON, ("13:00", "18:00")),
    ):
        found = re.search(pattern, text, re.I)
        if found:
            return TimeWindow(start=window[0], end=window[1]), (found.start(), found.end())
    return None


def goal_window(goal: Goal) -> tuple[str, str] | None:
    """The goal's local send window as ``(start, end)``, or None."""
    w = goal.constraints.send_window
    return (w.start, w.end) if w is not None else None

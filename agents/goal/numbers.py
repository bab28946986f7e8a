"""Numbers, amounts and durations in a goal, Chinese and English, written out or in digits.

Before any pattern runs, the goal is normalized: full-width forms folded (NFKC), Chinese
numerals turned into digits by ``cn2an`` (``八千`` → ``8000``, ``1.2万`` → ``12000``,
``三个月`` → ``3个月``) and English number words by ``text2num`` (``sixty days`` → ``60 days``,
``eight thousand`` → ``8000``). Every character of the normalized text remembers where it came
from, so what is not understood is quoted in the operator's own words. Durations
(``半年``, ``两周``, ``a quarter``, ``a fortnight``) become days with :func:`to_days`; amounts
with a unit (``8k``, ``5万``) become numbers with :func:`amount`. The recognizers were chosen
by measurement (docs/goals.md): jionlp misreads ``三千五`` and ``一万五`` and takes 0.5 s to
import; Recognizers-Text (2019) needs a five-year-old ``emoji`` to import at all.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass
from functools import cache
from typing import Any

MAX_GOAL_CHARS = 1000
"""Only this many characters of a goal are read (the rest is said back as not understood)."""

_CN_RUN = re.compile(
    r"\d{1,9}(?:\.\d{1,4})?[万千百亿]\d{0,4}|[零〇一二两三四五六七八九十百千万亿]{1,12}"
)
_CN_UNIT_AFTER = re.compile(
    r"个?多?半?(?:天|日|周|星期|礼拜|月|季度|年|小时|次|单|笔|元|块|人|名|位|条|毛|角|万|千|分|点)"
)
_CN_NOT_A_NUMBER = frozenset({"十分", "一点", "一分"})
"""十分 (very), 一点 (a little), 一分 (a bit): words, even before a unit character."""
_CN_SKIP_BEFORE = ("第", "双", "周", "星期", "礼拜")
_EN_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred thousand million".split()
)
_EN_MAGNITUDE = frozenset({"hundred", "thousand", "million"})
_EN_UNIT_AFTER = re.compile(
    r"[\s-]{0,2}(?:days?|weeks?|months?|quarters?|years?|hours?|times?|orders?|purchases?"
    r"|people|users?|customers?|recipients?|members?|dollars?|bucks|yuan|rmb|euros?|pounds?"
    r"|or (?:more|fewer|less|above|below|over|under)|(?:to|-)\s*(?:\d|[a-z]+ty\b|ten\b))\b",
    re.I,
)
_TOKEN = re.compile(r"[A-Za-z]+|[^A-Za-z]+")

DUR_ZH = (
    r"(?:\d{1,5}(?:\.\d{1,3})?\s*个?\s*多?\s*半?|半\s*个?)\s*(?:天|日|周|星期|礼拜|月|季度|年)半?"
)
"""A duration in Chinese after normalization: ``3个月``, ``半年``, ``2个半月``, ``1年半``."""
DUR_EN = (
    r"(?:\d{1,5}(?:\.\d{1,3})?|an?|one|half an?|a couple of)\s*-?\s*"
    r"(?:days?|weeks?|fortnights?|months?|quarters?|years?)"
)
"""A duration in English after normalization: ``60 days``, ``a quarter``, ``half a year``."""
DUR = rf"(?:{DUR_ZH}|{DUR_EN})"
"""A duration in either language."""

_UNIT_DAYS = (
    (r"天|日|days?", 1),
    (r"fortnights?", 14),
    (r"周|星期|礼拜|weeks?", 7),
    (r"季度|quarters?", 90),
    (r"月|months?", 30),
    (r"年|years?", 365),
)
_UNITS = {"万": 1e4, "w": 1e4, "千": 1e3, "k": 1e3, "thousand": 1e3, "百": 100}
_UNITS |= {"million": 1e6, "m": 1e6, "mn": 1e6}


@dataclass(frozen=True)
class Normalized:
    """The normalized goal and, per character, its index in the operator's text."""

    text: str
    """Normalized text (digits for numerals, folded full-width forms)."""
    origin: tuple[int, ...]
    """``origin[i]``: index in the original text of normalized character ``i``."""
    original: str
    """The operator's text (capped at :data:`MAX_GOAL_CHARS`)."""

    def quote(self, start: int, end: int) -> str:
        """The operator's words behind normalized ``[start, end)``."""
        if start >= end:
            return ""
        return self.original[self.origin[start] : self.origin[end - 1] + 1]


def normalize(text: str) -> Normalized:
    """Fold full-width forms and whitespace runs, write numerals in digits; keep positions."""
    original = text[:MAX_GOAL_CHARS]
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(original):
        if ch.isspace() and chars and chars[-1].isspace():
            continue  # one space stands for a run: patterns with \s* stay fast
        folded = unicodedata.normalize("NFKC", ch) if ord(ch) > 0x7F else ch
        chars.append(folded)
        origin += [i] * len(folded)
    text = "".join(chars)
    text, origin = _replace(text, origin, _zh_numerals(text))
    text, origin = _replace(text, origin, _en_numerals(text))
    return Normalized(text, tuple(origin), original)


def _replace(
    text: str, origin: list[int], edits: list[tuple[int, int, str]]
) -> tuple[str, list[int]]:
    out: list[str] = []
    where: list[int] = []
    pos = 0
    for start, end, new in edits:
        out.append(text[pos:start])
        where += origin[pos:start]
        out.append(new)
        where += [origin[start]] * (len(new) - 1) + [origin[end - 1]]
        pos = end
    out.append(text[pos:])
    where += origin[pos:]
    return "".join(out), where


def _zh_numerals(text: str) -> list[tuple[int, int, str]]:
    edits = []
    for m in _CN_RUN.finditer(text):
        run = m.group(0)
        if text[: m.start()].endswith(_CN_SKIP_BEFORE) or run.isdigit():
            continue
        after = _CN_UNIT_AFTER.match(text, m.end())
        single = len(run) == 1 or run in ("千万", "万一")
        if single and (after is None or run + after.group(0)[-1] in _CN_NOT_A_NUMBER):
            continue  # 一下, 十分, 千万别: words, not quantities
        value = _cn2an(run)
        if value is not None:
            edits.append((m.start(), m.end(), f"{value:g}"))
    return edits


@cache
def _cn2an_module() -> Any:
    import cn2an  # type: ignore[import-untyped]  # 0.2 s: only when a numeral is seen

    return cn2an


def _cn2an(run: str) -> float | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(_cn2an_module().cn2an(run, "smart"))
        except (ValueError, KeyError, IndexError, TypeError):
            return None  # 两三千, 万一: not one number


def _en_numerals(text: str) -> list[tuple[int, int, str]]:
    edits: list[tuple[int, int, str]] = []
    run: list[re.Match[str]] = []
    for tok in [*_TOKEN.finditer(text), None]:
        word = tok.group(0).lower() if tok is not None else ""
        if tok is not None and word in _EN_WORDS and len(run) < 15:
            run.append(tok)
            continue
        if tok is not None and run and word.strip(" -") in ("", "and") and len(word) <= 5:
            run.append(tok)
            continue
        while run and run[-1].group(0).lower() not in _EN_WORDS:
            run.pop()
        if run:
            edits += _en_number(text, run)
        run = [tok] if tok is not None and word in _EN_WORDS else []
    return edits


def _en_number(text: str, run: list[re.Match[str]]) -> list[tuple[int, int, str]]:
    from text_to_num import text2num  # type: ignore[import-untyped]

    start, end = run[0].start(), run[-1].end()
    big = any(t.group(0).lower() in _EN_MAGNITUDE for t in run)
    if not (big or _EN_UNIT_AFTER.match(text, end)):
        return []
    try:
        return [(start, end, str(text2num(text[start:end].lower(), "en")))]
    except ValueError:
        return []


def to_days(phrase: str) -> int | None:
    """Days in a duration phrase (``3个月`` → 90, ``半年`` → 180, ``a fortnight`` → 14)."""
    p = phrase.strip().lower()
    per_unit = next((d for pat, d in _UNIT_DAYS if re.search(pat, p)), None)
    if per_unit is None:
        return None
    m = re.search(r"\d{1,5}(?:\.\d{1,3})?", p)
    n = float(m.group(0)) if m else 1.0
    if "couple" in p:
        n = 2.0
    if not m and p.startswith(("half", "半")):
        n = 0.5
    if "半" in p and m:
        n += 0.5
    if per_unit == 365 and n != int(n):
        return int(round(n * 12) * 30)  # 半年 = 180 days, as operators count
    return int(round(n * per_unit))


def amount(digits: str, unit: str | None) -> float:
    """``5,000`` / ``1.5`` with an optional unit (万, 千, k, thousand, million) as a number."""
    value = float(digits.replace(",", ""))
    return value * _UNITS.get((unit or "").lower(), 1)


AMOUNT = r"(\d[\d,]{0,12}(?:\.\d{1,4})?)\s*(万|千|百|k\b|w\b|thousand|million|mn\b|m\b)?"
"""A number with an optional magnitude; groups: digits, unit."""
CURRENCY = r"[¥$€£]?\s*"
"""An optional currency sign (full-width signs are folded by :func:`normalize`)."""

"""Constraint and KPI extraction for the goal parser, plus the span-tracking scanner."""

from __future__ import annotations

import re
from datetime import date

from agents import lexicon as lx
from agents.goal_window import find_window
from agents.schema import Constraints, KpiTarget, TimeWindow

_NUM = r"(\d[\d,]*(?:\.\d+)?)\s*(万|千|k|thousand|million|m)?"
_UNITS = {"万": 10_000, "千": 1_000, "k": 1_000, "thousand": 1_000, "million": 1_000_000, "m": 1e6}
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}


class Scan:
    """The goal text plus the character spans already understood."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: list[tuple[int, int]] = []

    def find(self, pattern: str) -> re.Match[str] | None:
        """Search ``pattern`` (case-insensitive) and remember the match as understood."""
        m = re.search(pattern, self.text, re.I)
        if m:
            self.spans.append((m.start(), m.end()))
        return m

    def find_all(self, pattern: str) -> list[re.Match[str]]:
        """Return every match of ``pattern`` and remember them as understood."""
        found = list(re.finditer(pattern, self.text, re.I))
        self.spans += [(m.start(), m.end()) for m in found]
        return found

    def covered(self, start: int, end: int) -> bool:
        """Whether anything in ``[start, end)`` was understood."""
        return any(s < end and e > start for s, e in self.spans)


def number(digits: str, unit: str | None) -> float:
    """Parse ``5,000`` / ``1.5`` with an optional unit (万, 千, k, thousand, million)."""
    value = float(digits.replace(",", ""))
    return value * _UNITS.get((unit or "").lower(), 1)


def extract_constraints(scan: Scan, today: date) -> Constraints:
    """Return budget, recipient cap, channels, sending window and deadline found in the text."""
    c = Constraints()
    m = scan.find(
        rf"预算\s*(?:为|是|控制在|不超过)?\s*[:：]?\s*[¥￥]?{_NUM}\s*(?:元|块|rmb)?"
        rf"|budget\s*(?:of|is|:|at|under)?\s*[¥￥$€£]?\s*{_NUM}|[¥￥$]?\s*{_NUM}\s*(?:元|块)?\s*(?:的)?预算"
    )
    if m:
        c.budget = _first_number(m)
    m = scan.find(
        rf"(?:最多|不超过|上限|至多|最多发|控制在)\s*{_NUM}\s*(?:个|名)?(?:人|用户|位)"
        rf"|(?:at most|no more than|max(?:imum)?(?: of)?|cap (?:at|of))\s*{_NUM}(?![\d\s]*%)"
        rf"|up to\s*{_NUM}\s*(?:recipients|users|people|customers|persons)"
    )
    if m:
        c.max_recipients = int(_first_number(m))
    _channels(scan, c)
    c.send_window = _window(scan)
    c.deadline = _deadline(scan, today)
    return c


def _first_number(m: re.Match[str]) -> float:
    """The first (digits, unit) group pair that matched, as a number."""
    g = m.groups()
    digits, unit = next((g[i], g[i + 1]) for i in range(0, len(g), 2) if g[i])
    return number(digits, unit)


def _channels(scan: Scan, c: Constraints) -> None:
    for clause in re.finditer(r"[^，,。.;；!！?？\n]+", scan.text):
        text = clause.group(0)
        named = [ch for ch, p in lx.CHANNEL_WORDS if re.search(p, text, re.I)]
        if "voice_call" in named and re.search(r"电话号码|手机号|phone number", text, re.I):
            named.remove("voice_call")
        if not named:
            continue
        rest = text
        for _ch, p in lx.CHANNEL_WORDS:
            rest = re.sub(p, "", rest, flags=re.I)
        negated = re.search(lx.NEGATION_WORDS, text, re.I)
        if re.search(lx.ONLY_WORDS, text, re.I) or (
            not negated and re.search(lx.USE_WORDS, rest.strip(), re.I)
        ):
            c.channels_allowed += [ch for ch in named if ch not in c.channels_allowed]
        elif negated:
            c.channels_forbidden += [ch for ch in named if ch not in c.channels_forbidden]
        else:
            continue
        scan.spans.append((clause.start(), clause.end()))
    c.channels_allowed = [ch for ch in c.channels_allowed if ch not in c.channels_forbidden]


def _window(scan: Scan) -> TimeWindow | None:
    found = find_window(scan.text)
    if found is None:
        return None
    window, span = found
    scan.spans.append(span)
    return window


def _deadline(scan: Scan, today: date) -> str | None:
    """ISO date, ``12月1日前`` or ``by Dec 1``; an impossible date stays "not understood"."""
    patterns = (
        r"(\d{4})-(\d{1,2})-(\d{1,2})",
        r"()(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?\s*(?:前|之前|以前|截止)",
        r"(?:by|before|until)\s+()([a-z]{3})[a-z]*\.?\s+(\d{1,2})",
    )
    for pattern in patterns:
        m = re.search(pattern, scan.text, re.I)
        if not m:
            continue
        year, month, day = m.group(1), m.group(2), int(m.group(3))
        month_no = _MONTHS.get(month.lower()) if month.isalpha() else int(month)
        if month_no is None:
            continue
        try:
            found = date(int(year), month_no, day) if year else _next(today, month_no, day)
        except ValueError:
            return None
        scan.spans.append((m.start(), m.end()))
        return found.isoformat()
    return None


def _next(today: date, month: int, day: int) -> date:
    d = date(today.year, month, day)
    return d if d >= today else date(today.year + 1, month, day)


def extract_kpi(scan: Scan) -> KpiTarget | None:
    """Return the KPI metric and target uplift (``转化率提升2个点`` → conversion_rate, 0.02)."""
    metric = None
    for name, pattern in lx.KPI_WORDS:
        if re.search(pattern, scan.text, re.I):
            metric = name
            break
    m = scan.find(
        r"(?:提升|提高|增加|拉升)\s*(\d+(?:\.\d+)?)\s*(?:个)?\s*(?:百分点|点|%|pp)"
        r"|(?:by|\+)\s*(\d+(?:\.\d+)?)\s*(?:percentage points?|points?|pp|%)"
    )
    if metric is None and m is None:
        return None
    if metric:
        scan.find(next(p for n, p in lx.KPI_WORDS if n == metric))
    uplift = float(m.group(1) or m.group(2)) / 100 if m else None
    return KpiTarget(metric=metric or "conversion_rate", target_uplift=uplift)

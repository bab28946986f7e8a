"""Constraint and KPI extraction for the goal parser, plus the span-tracking scanner.

Budgets (``预算八千``, ``总共花不超过5000块``, ``budget 8k``, ``keep costs under 3,000``),
recipient caps (``最多发一万人``, ``cap at 3k recipients``), the sending window, the deadline
and the KPI. A per-recipient or per-message cost, a cap on messages rather than people, and a
budget word without an amount the parser can read become clarifying questions.
"""

from __future__ import annotations

import re
from datetime import date

from agents.goal import lexicon as lx
from agents.goal import words as gw
from agents.goal.numbers import AMOUNT, CURRENCY, Normalized, amount, normalize
from agents.goal.window import find_window
from userops.plan import Clarification, Constraints, KpiTarget, TimeWindow

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_YUAN = r"\s*(?:元|块钱|块|rmb|人民币|yuan|dollars?|bucks|usd)?"
_BUDGET = (
    rf"(?:预算|经费|总费用|费用|花费|成本|开销|总成本)(?:上限|总额|总共|一共)?\s*(?:大概|大约|约|为|是|控制在|不超过"
    rf"|不要超过|不得超过|别超过|不能超过|不可超过|最多|在|上限|:)?\s*(?:大概|大约|约)?\s*{CURRENCY}{AMOUNT}{_YUAN}"
    rf"|(?:总共|一共|总计)?\s*花\s*费?\s*(?:不超过|不要超过|最多|不到)?\s*{CURRENCY}{AMOUNT}"
    rf"\s*(?:元|块钱|块)"
    rf"|{CURRENCY}{AMOUNT}{_YUAN}\s*(?:的)?(?:预算|经费|budget)"
    rf"|budget(?:\s*(?:is|of|at|under|around|about|cap(?:ped)? at|limit(?:ed)? to"
    rf"|no more than|:)){{0,3}}"
    rf"\s*{CURRENCY}{AMOUNT}{_YUAN}"
    rf"|keep (?:it|costs?|the cost|(?:the )?spend(?:ing)?|the budget|the total)\s+(?:at\s+)?"
    rf"(?:under|below|within|at most|no more than|less than)\s*{CURRENCY}{AMOUNT}{_YUAN}"
    rf"|(?:under|below|at most|no more than|less than)\s*{CURRENCY}{AMOUNT}"
    rf"\s*(?:dollars?|bucks|usd)?\s+(?:in )?total\b"
    rf"|(?:spend|spending|costs?|the cost)\s+(?:capped at|at most|no more than|up to|under|below"
    rf"|less than|max(?:imum)?(?: of)?|within|limited to)\s*{CURRENCY}{AMOUNT}{_YUAN}"
)
_PEOPLE = r"(?:个|名|位)?(?:人|用户|客户|会员|顾客)"
_PEOPLE_EN = r"(?:recipients|users|people|customers|persons|members|shoppers|contacts)"
_CAP = (
    rf"(?:最多|不超过|不要超过|上限|至多|控制在|限|限制在)\s*(?:发给?|给|触达|覆盖)?\s*{AMOUNT}\s*{_PEOPLE}"
    rf"|人数\s*(?:上限)?\s*(?:为|是|不超过|控制在|在)?\s*{AMOUNT}\s*(?:人)?\s*(?:以内|之内|以下)"
    rf"|{AMOUNT}\s*{_PEOPLE}\s*(?:以内|之内|封顶|为限)"
    rf"|{AMOUNT}\s*{_PEOPLE_EN}\s+(?:tops|max|maximum|at most)\b"
    rf"|(?:at most|no more than|not more than|max(?:imum)?(?: of)?|cap(?:ped)?(?: it)? (?:at|of)"
    rf"|limit(?:ed)? to)\s*{AMOUNT}(?![\d\s]*%)(?:\s*{_PEOPLE_EN})?"
    rf"|up to\s*{AMOUNT}\s*{_PEOPLE_EN}"
)
_PER_UNIT = (
    r"每(?:人|个用户|位|条|次|个|单)[^,。;；\n]{0,12}?[\d¥$]"
    r"|[\d¥$][^,。;；\n]{0,12}?\b(?:per|each) (?:user|person|message|recipient|customer|send|text)"
)
_MESSAGE_CAP = r"(?:最多|不超过|上限)\s*发?\s*\d[\d,]*\s*条|at most\s*\d[\d,]*\s*(?:messages|texts)"
_BUDGET_WORD = r"预算|经费|budget"
_NO_LIMIT = r"(?:预算|budget)\s*(?:不限|无上限|unlimited|no limit|is no object)"


class Scan:
    """The normalized goal text plus the character spans already understood."""

    def __init__(self, text: str) -> None:
        self.norm: Normalized = normalize(text)
        self.text = self.norm.text
        self.spans: list[tuple[int, int]] = []
        self.asks: list[Clarification] = []
        self.ask_positions: list[int] = []

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

    def find_free(self, pattern: str) -> re.Match[str] | None:
        """The first match of ``pattern`` overlapping nothing understood yet (remembered)."""
        for m in re.finditer(pattern, self.text, re.I):
            if not self.covered(m.start(), m.end()):
                self.spans.append((m.start(), m.end()))
                return m
        return None

    def covered(self, start: int, end: int) -> bool:
        """Whether anything in ``[start, end)`` was understood."""
        return any(s < end and e > start for s, e in self.spans)

    def inside(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` lies entirely inside one understood span."""
        return any(s <= start and end <= e for s, e in self.spans)

    def clause_of(self, pos: int) -> tuple[int, int]:
        """The clause (between punctuation) around normalized position ``pos``."""
        start = max((self.text.rfind(c, 0, pos) for c in ",。.;；!?\n"), default=-1) + 1
        ends = [i for i in (self.text.find(c, pos) for c in ",。.;；!?\n") if i >= 0]
        return start, min(ends, default=len(self.text))

    def ask(self, field: str, start: int, end: int, question: str) -> None:
        """Ask about ``[start, end)``, quoting its clause; the words count as understood."""
        from userops.privacy import redact

        c0, c1 = self.clause_of(start)
        words = redact(self.norm.quote(c0, max(c1, end)).strip())[:80]
        if not any(a.field == field and a.words == words for a in self.asks):
            self.asks.append(
                Clarification.model_validate(
                    {"field": field, "words": words, "question": question.format(words=words)}
                )
            )
        self.spans.append((start, end))
        self.ask_positions.append(start)


def extract_constraints(scan: Scan, today: date, lang: str) -> Constraints:
    """Return budget, recipient cap, sending window and deadline found in the text."""
    c = Constraints()
    for unit in re.finditer(_PER_UNIT, scan.text, re.I):
        scan.ask("budget", unit.start(), unit.end(), gw.ASK["per_unit"][lang])
    if not re.search(_NO_LIMIT, scan.text, re.I):
        m = scan.find_free(_BUDGET)
        if m:
            c.budget = _first_amount(m)
        else:
            word = scan.find_free(_BUDGET_WORD)
            if word:
                scan.ask("budget", word.start(), word.end(), gw.ASK["budget"][lang])
    for cap in re.finditer(_MESSAGE_CAP, scan.text, re.I):
        if not scan.covered(cap.start(), cap.end()):
            scan.ask("max_recipients", cap.start(), cap.end(), gw.ASK["message_cap"][lang])
    m = scan.find_free(_CAP)
    if m:
        c.max_recipients = int(_first_amount(m))
    c.send_window = _window(scan)
    for day in re.finditer(gw.UNMAPPED_WINDOW, scan.text, re.I):
        scan.ask("window", day.start(), day.end(), gw.ASK["window"][lang])
    c.deadline = _deadline(scan, today)
    return c


def _first_amount(m: re.Match[str]) -> float:
    """The first (digits, unit) group pair that matched, as a number."""
    g = m.groups()
    digits, unit = next((g[i], g[i + 1]) for i in range(0, len(g), 2) if g[i])
    return amount(digits, unit)


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

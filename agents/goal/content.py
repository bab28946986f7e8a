"""What the copy must not contain: ``不要优惠券``, ``不打折不促销``, ``no discounts``.

An exclusion word counts only when a negation governs it (:mod:`agents.goal.scope`):
``发优惠券召回`` asks for a coupon, ``不要发优惠券`` rules coupons out. ``不`` alone is a
negation here (``不打折``, ``不送赠品``), unlike for channels.
"""

from __future__ import annotations

import re
from typing import Literal

from agents.goal import words as gw
from agents.goal.extract import Scan
from agents.goal.scope import ends_with, negated_after, negated_before

_OTHER_ITEMS = re.compile(
    r"(?:" + "|".join(p for _k, p in gw.EXCLUSIONS) + r"|信息|内容|文案|\bcontent|\bany)$", re.I
)
_BARE_NOT = re.compile(r"(?:不|\bno)$", re.I)


def extract_exclusions(scan: Scan) -> list[str]:
    """Return the content kinds the goal rules out, in the order said."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, str]] = []
    for kind, pattern in gw.EXCLUSIONS:
        for m in re.finditer(pattern, scan.text, re.I):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            c0, c1 = scan.clause_of(m.start())
            pre, post = scan.text[c0 : m.start()], scan.text[m.end() : c1]
            if negated_before(pre, _OTHER_ITEMS) or _bare_not(pre) or negated_after(post):
                found.append((m.start(), kind))
                scan.spans.append((m.start(), m.end()))
    out: list[str] = []
    for _pos, kind in sorted(found):
        if kind not in out:
            out.append(kind)
    return out


def _bare_not(pre: str) -> bool:
    return ends_with(pre, _BARE_NOT, _OTHER_ITEMS)


_COPY_LANGUAGE: list[tuple[str, re.Pattern[str]]] = [
    (
        lang,
        re.compile(
            rf"(?:用|以|写成|换成|改成|改用|全部用|都用)(?:{zh})(?:发|写|文案|内容|撰写)?"
            rf"|(?:{zh})(?:文案|内容|版本)|文案(?:用|写成|改成)?(?:{zh})"
            rf"|\bin (?:{en})\b|\b(?:{en}) (?:copy|content|messages?|version|only)\b"
            rf"|\b(?:write|send|translate|put) (?:it|them|the copy|the messages?|everything)"
            rf" (?:in|into) (?:{en})\b",
            re.I,
        ),
    )
    for lang, zh, en in (
        ("en", "英文|英语", "english"),
        ("zh", "中文|汉语|简体中文", "chinese|mandarin"),
    )
]
"""The copy's language when the operator asks for one (``用英文发``, ``in English``)."""


def extract_content_language(scan: Scan) -> Literal["zh", "en"] | None:
    """Return ``zh`` or ``en`` when the goal asks for the copy in that language."""
    for lang, pattern in _COPY_LANGUAGE:
        m = pattern.search(scan.text)
        if m and not scan.inside(m.start(), m.end()):
            scan.spans.append((m.start(), m.end()))
            return "zh" if lang == "zh" else "en"
    return None

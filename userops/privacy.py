"""Contact-data detection: no phone, email or openid may reach a prompt, summary or preview.

Every scan is linear in the text, whatever the text (it is untrusted): the phone and openid
patterns cannot backtrack more than a bounded run, and emails are found from their ``@``
rather than by a pattern that retries a long run of address characters at every position
(``[A-Za-z0-9._%+-]+@`` was quadratic: 100,000 letters without ``@`` took seconds).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

_AT_DOMAIN = re.compile(r"@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
"""An ``@`` and the domain after it (greedy, backtracks over one run of domain characters)."""
_LOCAL_RUN = re.compile(r"[A-Za-z0-9._%+-]+")
"""An email's local part (read backwards from the ``@`` on the reversed text)."""
_PHONE = re.compile(r"(?<!\d)\+?\d[\d\s().-]*\d")
"""A maximal run of digits and separators that starts and ends with a digit."""
_WECHAT = re.compile(r"\bo[A-Za-z0-9_-]{27}\b")
PHONE_DIGITS = 10
"""Phone numbers are runs of at least this many digits."""


def _emails(text: str) -> Iterator[tuple[int, int]]:
    r"""Spans of ``[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}``, leftmost first.

    The same spans as that pattern's ``finditer``. Each ``@`` reads the run of address
    characters before it (bounded by the previous ``@`` or the previous match) and the run of
    domain characters after it (bounded by the next ``@``): every character is read at most
    a few times.
    """
    rev = ""
    floor = 0
    for m in _AT_DOMAIN.finditer(text):
        at = m.start()
        if at <= floor:
            continue
        rev = rev or text[::-1]
        local = _LOCAL_RUN.match(rev, len(text) - at)
        if local is not None:
            yield max(at - (local.end() - local.start()), floor), m.end()
            floor = m.end()


def _phones(text: str) -> Iterator[tuple[int, int]]:
    for m in _PHONE.finditer(text):
        if sum(ch.isdigit() for ch in m.group(0)) >= PHONE_DIGITS:
            yield m.span()


def _wechat_ids(text: str) -> Iterator[tuple[int, int]]:
    return (m.span() for m in _WECHAT.finditer(text))


_FINDERS: dict[str, Callable[[str], Iterator[tuple[int, int]]]] = {
    "email": _emails,
    "phone": _phones,
    "wechat_id": _wechat_ids,
}


def find_contact_data(text: str) -> list[tuple[str, str]]:
    """Return ``(kind, match)`` for every phone number, email or WeChat id found in ``text``.

    Phone numbers are runs of at least 10 digits (separators allowed), which covers
    mainland mobile numbers (11 digits) and E.164 numbers; shorter numbers such as
    prices, dates and counts are not flagged.
    """
    return [(kind, text[a:b]) for kind, find in _FINDERS.items() for a, b in find(text)]


def redact(text: str) -> str:
    """Replace contact data in ``text`` with ``[redacted]`` (emails, then phones, then ids)."""
    for find in _FINDERS.values():
        spans = list(find(text))
        if spans:
            parts: list[str] = []
            last = 0
            for a, b in spans:
                parts += [text[last:a], "[redacted]"]
                last = b
            text = "".join([*parts, text[last:]])
    return text

"""Contact-data detection: no phone, email or openid may reach a prompt, summary or preview."""

from __future__ import annotations

import re

_PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    "phone": re.compile(r"(?<!\d)(?:\+?\d[\d\s().-]{8,}\d)(?!\d)"),
    "wechat_id": re.compile(r"\bo[A-Za-z0-9_-]{27}\b"),
}


def find_contact_data(text: str) -> list[tuple[str, str]]:
    """Return ``(kind, match)`` for every phone number, email or WeChat id found in ``text``.

    Phone numbers are runs of at least 10 digits (separators allowed), which covers
    mainland mobile numbers (11 digits) and E.164 numbers; shorter numbers such as
    prices, dates and counts are not flagged.
    """
    found: list[tuple[str, str]] = []
    for kind, pattern in _PATTERNS.items():
        for m in pattern.finditer(text):
            value = m.group(0)
            if kind == "phone" and sum(ch.isdigit() for ch in value) < 10:
                continue
            found.append((kind, value))
    return found


def redact(text: str) -> str:
    """Replace contact data in ``text`` with ``[redacted]``."""
    for kind, pattern in _PATTERNS.items():
        if kind == "phone":
            text = pattern.sub(
                lambda m: (
                    "[redacted]" if sum(c.isdigit() for c in m.group(0)) >= 10 else m.group(0)
                ),
                text,
            )
        else:
            text = pattern.sub("[redacted]", text)
    return text

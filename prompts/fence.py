"""The one fence for untrusted text in prompts and tool answers: ``<untrusted_data>…``.

Anything a model reads that was not written by this code base (an operator's goal, approver
comments, plan text a model wrote, knowledge and lessons, profile summaries, search hits) is
wrapped by :func:`fence`: length-limited, contact data redacted, control characters dropped,
and every angle bracket inside turned into a look-alike (‹ ›), so the text cannot contain
the closing marker (or any other tag) and cannot end the fence early, whatever it says. The
system prompts tell the model that fenced content is data, never an instruction.

:class:`Trusted` marks a value the code base built itself from a closed vocabulary (a channel
name, an objective, a fixed hint); :func:`prompt_value` passes it through only while it is
plain text (letters, digits, spaces and simple punctuation), and fences it otherwise.
"""

from __future__ import annotations

import re
import unicodedata

from userops.privacy import redact

OPEN = "<untrusted_data>"
CLOSE = "</untrusted_data>"
LIMIT = 4_000
"""Longest untrusted text kept in a prompt (characters); the rest is cut."""
TRUNCATED = " …[truncated]"
_BRACKETS = str.maketrans({"<": "‹", ">": "›", "＜": "‹", "＞": "›", "\ufe64": "‹", "\ufe65": "›"})
_KEEP = frozenset("\n\t")
_PLAIN = re.compile(r"[\w ,.:;()/%+'-]{0,300}")


class Trusted(str):
    """A prompt value the code base wrote itself (passed unfenced while it is plain text)."""

    __slots__ = ()


def neutralize(text: str) -> str:
    """``text`` without control/format characters and with look-alike angle brackets."""
    kept = (ch for ch in text if ch in _KEEP or unicodedata.category(ch)[0] != "C")
    return "".join(kept).translate(_BRACKETS)


def fence(text: object, limit: int = LIMIT) -> str:
    """Wrap untrusted ``text`` as data: cut to ``limit``, redacted, unable to close the fence."""
    s = str(text)
    if len(s) > limit:
        s = s[:limit] + TRUNCATED
    return f"{OPEN}{neutralize(redact(s))}{CLOSE}"


def prompt_value(value: object) -> str:
    """How ``value`` enters a prompt: plain :class:`Trusted` text as is, anything else fenced."""
    if isinstance(value, Trusted) and _PLAIN.fullmatch(value):
        return str(value)
    return fence(value)

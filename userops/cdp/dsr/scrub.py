"""Finding and replacing one person's data inside free text and nested values.

A :class:`Scrubber` knows the person's *needles* (name, external id, phone, e-mail, openid,
unionid, device id, profile summary) and record ids. :meth:`Scrubber.scrub` returns a copy
of any nested value (dicts, lists, tuples, strings, pydantic models such as LangChain
messages, dataclasses such as LangGraph interrupts) with every needle replaced by
:data:`REPLACEMENT` and every id under an id key (``"user_id": 42``, also inside JSON text)
replaced by :data:`ERASED_ID`; the same object comes back when nothing matched.
:meth:`Scrubber.find` lists the matching leaves (the export's ``mentions``).

Needles are matched case-insensitively as literals; a needle that starts or ends with an
ASCII letter or digit only where no such character is next to it (so ``User1`` is not found
inside ``User10``). Needles shorter than :data:`MIN_NEEDLE` characters and numbers of fewer
than 7 digits (``10023`` as an external id would match prices and counts) are ignored. The
pattern is an alternation of literals: linear in the text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel

REPLACEMENT = "[erased]"
ERASED_ID = 0
"""What an erased person's id becomes where a row or a value is kept (never a real user)."""
MIN_NEEDLE = 2
ID_KEYS = frozenset({"user_id", "survivor_id", "merged_id", "old_survivor_id", "sample_user_id"})
"""Keys whose integer value is a user record id."""
_ASCII_WORD = re.compile(r"[A-Za-z0-9]")
_SHORT_NUMBER = re.compile(r"[\s().+-]*(?:\d[\s().+-]*){1,6}")
"""A number of fewer than 7 digits (a numeric external id): too common to look for in text."""
_ID_IN_TEXT = re.compile(r'"(' + "|".join(sorted(ID_KEYS)) + r')"\s?:\s?(\d{1,19})(?!\d)')


def _literal(needle: str) -> str:
    body = re.escape(needle)
    head = r"(?<![A-Za-z0-9])" if _ASCII_WORD.fullmatch(needle[0]) else ""
    tail = r"(?![A-Za-z0-9])" if _ASCII_WORD.fullmatch(needle[-1]) else ""
    return head + body + tail


class Scrubber:
    """Replace one person's needles and ids in nested values."""

    def __init__(self, needles: Iterable[str], ids: Iterable[int]) -> None:
        """Build the pattern; ``needles`` shorter than :data:`MIN_NEEDLE` are dropped."""
        kept = {
            n.strip()
            for n in needles
            if n and len(n.strip()) >= MIN_NEEDLE and not _SHORT_NUMBER.fullmatch(n.strip())
        }
        self.needles = sorted(kept, key=lambda n: (-len(n), n))
        self.ids = frozenset(int(i) for i in ids)
        self._pattern = (
            re.compile("|".join(_literal(n) for n in self.needles), re.IGNORECASE)
            if self.needles
            else None
        )

    def _id_sub(self, m: re.Match[str]) -> str:
        if int(m.group(2)) in self.ids:
            return m.group(0)[: m.start(2) - m.start(0)] + str(ERASED_ID)
        return m.group(0)

    def text(self, value: str) -> str:
        """``value`` with needles and ids under id keys replaced (same object if unchanged)."""
        out = value
        if self._pattern is not None:
            out = self._pattern.sub(REPLACEMENT, out)
        if '"' in out and self.ids:
            out = _ID_IN_TEXT.sub(self._id_sub, out)
        return value if out == value else out

    def matches(self, value: str) -> bool:
        """Whether ``value`` holds a needle or an id under an id key."""
        return self.text(value) is not value

    def _is_id(self, key: Any, value: Any) -> bool:
        return (
            key in ID_KEYS
            and isinstance(value, int)
            and not isinstance(value, bool)
            and value in self.ids
        )

    def scrub(self, value: Any) -> Any:
        """Return ``value`` with the person removed (the same object when nothing matched)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            changed = False
            for k, v in value.items():
                nk = self.scrub(k) if isinstance(k, str) else k
                nv = ERASED_ID if self._is_id(k, v) else self.scrub(v)
                changed |= nk is not k or nv is not v
                out[nk] = nv
            return out if changed else value
        if isinstance(value, list | tuple):
            items = [self.scrub(v) for v in value]
            if all(a is b for a, b in zip(items, value, strict=True)):
                return value
            return items if isinstance(value, list) else type(value)(items)
        if isinstance(value, BaseModel):
            update = {}
            for name in type(value).model_fields:
                old = getattr(value, name, None)
                new = self.scrub(old)
                if new is not old:
                    update[name] = new
            return value.model_copy(update=update) if update else value
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {}
            for f in dataclasses.fields(value):
                if not f.init:
                    continue
                old = getattr(value, f.name)
                new = self.scrub(old)
                if new is not old:
                    changes[f.name] = new
            return dataclasses.replace(value, **changes) if changes else value
        return value

    def find(self, value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
        """Yield ``(path, leaf)`` for every leaf of ``value`` that :meth:`scrub` would change."""
        if isinstance(value, str):
            if self.matches(value):
                yield path, value
        elif isinstance(value, dict):
            for k, v in value.items():
                sub = f"{path}.{k}" if path else str(k)
                if self._is_id(k, v):
                    yield sub, v
                else:
                    yield from self.find(v, sub)
        elif isinstance(value, list | tuple):
            for i, v in enumerate(value):
                yield from self.find(v, f"{path}[{i}]")

    def like_patterns(self) -> list[str]:
        r"""SQL ``LIKE`` patterns (escape ``\``) that a value naming this person matches.

        Every needle raw and JSON-escaped, every id under an id key.
        """
        import json

        found: set[str] = set()
        for n in self.needles:
            for form in {n, json.dumps(n)[1:-1]}:
                found.add("%" + _like_escape(form) + "%")
        for i in sorted(self.ids):
            for key in sorted(ID_KEYS):
                for end in (",", "}"):
                    found.add("%" + _like_escape(f'"{key}": {i}{end}') + "%")
        return sorted(found)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

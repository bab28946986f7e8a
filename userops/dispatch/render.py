"""Fill content placeholders at send time (data minimization: copy never holds contact data).

Known placeholders: ``{name}``, ``{last_product}``, ``{offer}``, ``{brand}``,
``{unsubscribe_url}``. Anything else in braces is bad content: the pre-flight suppresses
the variant (``content_rule``) and the worker fails the row (``bad_content``) rather than
send a literal ``{placeholder}`` to a person.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from userops.dispatch.models import MessageContent

PLACEHOLDERS = frozenset({"name", "last_product", "offer", "brand", "unsubscribe_url"})
_PH = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")
_TEXT_FIELDS = ("subject", "title", "body", "html", "url")
DEFAULT_NAME = {"zh": "您", "en": "there"}
UNSUBSCRIBE_BASE = "https://u.userops.invalid/unsubscribe/"


class BadContent(ValueError):
    """The content uses a placeholder that cannot be filled."""


def _strings(content: dict[str, Any]) -> list[str]:
    out = [content.get(f) or "" for f in _TEXT_FIELDS]
    out += list((content.get("template_fields") or {}).values())
    script = content.get("script")
    if script:
        out += [script.get("opening", ""), script.get("close", "")]
        out += [b.get("reply", "") for b in script.get("branches", [])]
    return [s for s in out if s]


def placeholders(content: dict[str, Any]) -> set[str]:
    """Every placeholder name used anywhere in ``content`` (a dumped MessageContent)."""
    return {m for s in _strings(content) for m in _PH.findall(s)}


def placeholder_problems(c: MessageContent) -> list[str]:
    """Unknown placeholder names used in ``c``."""
    return sorted(placeholders(c.model_dump()) - PLACEHOLDERS)


def unsubscribe_url(key: str) -> str:
    """A per-message unsubscribe link (opaque: no contact data in it)."""
    return UNSUBSCRIBE_BASE + hashlib.sha256(key.encode()).hexdigest()[:20]


def render(content: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """Return a copy of ``content`` with placeholders filled from ``values``.

    Raises:
        BadContent: a placeholder is not in ``values``.
    """

    def sub(m: re.Match[str]) -> str:
        try:
            return values[m.group(1)]
        except KeyError:
            raise BadContent(f"unknown placeholder {{{m.group(1)}}}") from None

    out = dict(content)
    for f in _TEXT_FIELDS:
        if out.get(f) and "{" in out[f]:
            out[f] = _PH.sub(sub, out[f])
    if out.get("template_fields"):
        out["template_fields"] = {k: _PH.sub(sub, v) for k, v in out["template_fields"].items()}
    script = out.get("script")
    if script:
        script = dict(script)
        script["opening"] = _PH.sub(sub, script.get("opening", ""))
        script["close"] = _PH.sub(sub, script.get("close", ""))
        script["branches"] = [
            {**b, "reply": _PH.sub(sub, b.get("reply", ""))} for b in script.get("branches", [])
        ]
        out["script"] = script
    return out


def _fmt(text: str) -> str:
    parts = _PH.split(text)
    return "".join(
        p.replace("{", "{{").replace("}", "}}") if i % 2 == 0 else "{" + p + "}"
        for i, p in enumerate(parts)
    )


class Template:
    """A content compiled once for fast filling (``str.format_map`` on escaped copies)."""

    def __init__(self, content: dict[str, Any]) -> None:
        self.content = content
        self.needs = placeholders(content)
        self.fields = [(f, _fmt(content[f])) for f in _TEXT_FIELDS if "{" in (content.get(f) or "")]
        self.generic = bool(content.get("template_fields") or content.get("script"))

    def fill(self, values: dict[str, str]) -> dict[str, Any]:
        """Return the filled content.

        Raises:
            BadContent: a placeholder is not in ``values``.
        """
        missing = self.needs - values.keys()
        if missing:
            raise BadContent(f"unknown placeholder {{{sorted(missing)[0]}}}")
        if self.generic:
            return render(self.content, values)
        out = dict(self.content)
        for f, fmt in self.fields:
            out[f] = fmt.format_map(values)
        return out

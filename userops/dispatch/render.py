"""Fill content placeholders at send time (data minimization: copy never holds contact data).

Known placeholders: ``{name}``, ``{last_product}``, ``{offer}``, ``{brand}``,
``{unsubscribe_url}``. Anything else in braces is bad content: the pre-flight suppresses
the variant (``content_rule``) and the worker fails the row (``bad_content``) rather than
send a literal ``{placeholder}`` to a person.

Every value is cleaned by :func:`userops.dispatch.clean.clean_value` as it is filled (contact
data and instruction-like text refused, control and bidi characters removed, length capped);
values filled into the HTML part are also HTML-escaped. The approval card's previews fill
through the same :class:`Template`, so they show exactly what is sent.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from userops.dispatch.clean import clean_value, clean_values
from userops.dispatch.feedback import unsubscribe
from userops.dispatch.models import MessageContent

PLACEHOLDERS = frozenset({"name", "last_product", "offer", "brand", "unsubscribe_url"})
_PH = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")
_TEXT_FIELDS = ("subject", "title", "body", "html", "url")


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
    """The one-click unsubscribe link of the message with idempotency key ``key``.

    ``{USEROPS_PUBLIC_URL}/unsubscribe/<token>``, the token signed per recipient, channel and
    campaign (:mod:`userops.dispatch.feedback.unsubscribe`); no contact data in it.
    """
    return unsubscribe.link_for_key(key)


def _escaped(values: dict[str, str]) -> dict[str, str]:
    return {k: html.escape(v) for k, v in values.items()}


def render(
    content: dict[str, Any], values: Mapping[str, str | None], language: str | None = None
) -> dict[str, Any]:
    """Return a copy of ``content`` with placeholders filled from cleaned ``values``.

    Raises:
        BadContent: a placeholder is not in ``values``.
    """
    plain = clean_values(values, language)
    escaped = _escaped(plain)

    def filler(vals: dict[str, str]) -> Any:
        def sub(m: re.Match[str]) -> str:
            try:
                return vals[m.group(1)]
            except KeyError:
                raise BadContent(f"unknown placeholder {{{m.group(1)}}}") from None

        return sub

    sub = filler(plain)
    out = dict(content)
    for f in _TEXT_FIELDS:
        if out.get(f) and "{" in out[f]:
            out[f] = _PH.sub(filler(escaped) if f == "html" else sub, out[f])
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
        self._order = tuple(sorted(self.needs))
        self.fields = [(f, _fmt(content[f])) for f in _TEXT_FIELDS if "{" in (content.get(f) or "")]
        self.generic = bool(content.get("template_fields") or content.get("script"))

    def fill(self, values: Mapping[str, str | None], language: str | None = None) -> dict[str, Any]:
        """Return the content filled with cleaned ``values`` for a recipient in ``language``.

        A value that is ``None`` or refused by the cleaning becomes its neutral fallback.

        Raises:
            BadContent: a placeholder is not in ``values``.
        """
        # loops, not comprehensions: this runs once per message, and a comprehension's own
        # call costs more than the one or two placeholders it would cover (~1 µs each)
        for k in self._order:
            if k not in values:
                raise BadContent(f"unknown placeholder {{{k}}}")
        if self.generic:
            return render(self.content, values, language)
        plain: dict[str, str] = {}
        for k in self._order:
            plain[k] = clean_value(k, values[k], language)  # what clean_values does, per key
        escaped: dict[str, str] | None = None
        out = dict(self.content)
        for f, fmt in self.fields:
            if f == "html":
                escaped = escaped or _escaped(plain)
                out[f] = fmt.format_map(escaped)
            else:
                out[f] = fmt.format_map(plain)
        return out

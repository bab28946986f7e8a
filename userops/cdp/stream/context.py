"""The ``context`` fields the store uses, values no store keeps, the language of a locale."""

from __future__ import annotations

import ipaddress
import math
from typing import Any

from userops.cdp.ingest import validate as v
from userops.cdp.stream.fields import Bad, ident
from userops.text_limits import string_problem


def check_context(ctx: dict[str, Any]) -> None:
    """The context fields this store uses: ``timezone``, ``locale``, ``ip``, ``device.id``."""
    if not ctx:
        return
    tz = ctx.get("timezone")
    if tz is not None:
        try:
            v.timezone(tz)
        except ValueError as exc:
            raise Bad("context.timezone", str(exc), tz) from None
    locale = ctx.get("locale")
    if locale is not None and (type(locale) is not str or len(locale) > 35):
        raise Bad("context.locale", "must be a language tag such as zh-CN", locale)
    ip = ctx.get("ip")
    if ip is not None:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise Bad("context.ip", "not an IP address", ip) from None
    device = ctx.get("device")
    if device is not None:
        if type(device) is not dict:
            raise Bad("context.device", "must be a JSON object", device)
        ident(device.get("id"), "context.device.id")


def language_of(ctx: dict[str, Any]) -> str | None:
    """``zh`` or ``en`` from ``context.locale`` (other languages: None, the default stays)."""
    locale = ctx.get("locale")
    if not locale:
        return None
    base = str(locale).lower().replace("_", "-").split("-")[0]
    return base if base in ("zh", "en") else None


def unstorable(value: Any, path: str) -> tuple[str, str, Any] | None:
    """``(JSON path, reason, value)`` of the first value in ``value`` no store keeps, or None.

    A string (key or value) with a NUL or a lone surrogate, a NaN or infinite number.
    Iterative: a deeply nested message cannot exhaust the stack.
    """
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if type(item) is str:
            if (problem := string_problem(item)) is not None:
                return where, problem, item
        elif type(item) is float:
            if not math.isfinite(item):
                return where, "not a finite number", item
        elif type(item) is dict:
            for k, sub in item.items():
                if (problem := string_problem(k)) is not None:
                    k = k.encode("utf-8", "backslashreplace").decode()  # quotable in the path
                    return (f"{where}.{k}" if where else k), problem, k
                stack.append((f"{where}.{k}" if where else k, sub))
        elif type(item) is list:
            stack.extend((f"{where}[{i}]", sub) for i, sub in reversed(list(enumerate(item))))
    return None

"""The one limit on text people send: goals, messages, approval comments and reasons.

``Settings.max_text_chars`` (``USEROPS_MAX_TEXT_CHARS``, 4000 by default) is the longest
text; a NUL character is never accepted (PostgreSQL cannot store it). :func:`check_text`
raises :class:`~userops.errors.BadInput` naming the field (the CLI uses it);
:data:`UserText` (:data:`BoundedText` when it may be empty) is the same check as a pydantic
type (the API's request models use it).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from userops.errors import BadInput
from userops.settings import TEXT_MAX_CHARS, get_settings

SHOWN = 40
"""Characters of a refused text quoted back."""


def text_limit() -> int:
    """The longest text accepted (``Settings.max_text_chars``)."""
    return get_settings().max_text_chars


def text_problem(value: str, limit: int | None = None) -> str | None:
    """Why ``value`` is refused (too long, a NUL, a lone surrogate), or None."""
    limit = text_limit() if limit is None else limit
    if len(value) > limit:
        return f"at most {limit} characters, got {len(value)}"
    return string_problem(value)


def excerpt(value: str) -> str:
    """The start of ``value``, to quote back in an error without echoing a huge text."""
    return value if len(value) <= SHOWN else value[:SHOWN] + "…"


def check_text(value: str, field: str, *, limit: int | None = None) -> str:
    """Return ``value``, or raise ``BadInput`` naming ``field`` when it is refused."""
    problem = text_problem(value, limit)
    if problem is not None:
        raise BadInput.one(problem, field=field, value=shown(value))
    return value


def string_problem(value: str) -> str | None:
    """Why no store can keep ``value`` (a NUL, a lone surrogate), or None."""
    if "\x00" in value:
        return "must not contain a NUL character"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "not valid Unicode (a lone surrogate)"
    return None


def shown(value: Any) -> Any:
    """``value`` as it can be quoted back in JSON: short, surrogates escaped, NaN as text."""
    if isinstance(value, str):
        return excerpt(value.encode("utf-8", "backslashreplace").decode("utf-8"))
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value if isinstance(value, int | bool | None) else None


def find_unstorable(value: Any) -> tuple[list[str | int], str, Any] | None:
    """``(JSON path, reason, value)`` of the first value no store can keep, or None.

    Strings (keys and values) with a NUL or a lone surrogate, and NaN or infinite numbers.
    Iterative: a deeply nested document cannot exhaust the stack.
    """
    stack: list[tuple[list[str | int], Any]] = [([], value)]
    while stack:
        path, v = stack.pop()
        if isinstance(v, str):
            if (problem := string_problem(v)) is not None:
                return path, problem, v
        elif isinstance(v, float):
            if not math.isfinite(v):
                return path, "not a finite number", v
        elif isinstance(v, dict):
            for k, item in v.items():
                if (problem := string_problem(k)) is not None:
                    return [*path, k], problem, k
                stack.append(([*path, k], item))
        elif isinstance(v, list):
            stack.extend(([*path, i], item) for i, item in reversed(list(enumerate(v))))
    return None


def _valid(value: str) -> str:
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


BoundedText = Annotated[
    str, Field(json_schema_extra={"maxLength": TEXT_MAX_CHARS}), AfterValidator(_valid)
]
"""A person's text in a request model: at most ``max_text_chars`` characters, no NUL."""
UserText = Annotated[
    str,
    Field(min_length=1, json_schema_extra={"maxLength": TEXT_MAX_CHARS}),
    AfterValidator(_valid),
]
"""The same, and not empty."""

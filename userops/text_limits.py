"""The one limit on text people send: goals, messages, approval comments and reasons.

``Settings.max_text_chars`` (``USEROPS_MAX_TEXT_CHARS``, 4000 by default) is the longest
text; a NUL character is never accepted (PostgreSQL cannot store it). :func:`check_text`
raises :class:`~userops.errors.BadInput` naming the field (the CLI uses it);
:data:`UserText` (:data:`BoundedText` when it may be empty) is the same check as a pydantic
type (the API's request models use it).
"""

from __future__ import annotations

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
    """Why ``value`` is refused (too long, or holds a NUL character), or None."""
    limit = text_limit() if limit is None else limit
    if len(value) > limit:
        return f"at most {limit} characters, got {len(value)}"
    if "\x00" in value:
        return "must not contain a NUL character"
    return None


def excerpt(value: str) -> str:
    """The start of ``value``, to quote back in an error without echoing a huge text."""
    return value if len(value) <= SHOWN else value[:SHOWN] + "…"


def check_text(value: str, field: str, *, limit: int | None = None) -> str:
    """Return ``value``, or raise ``BadInput`` naming ``field`` when it is refused."""
    problem = text_problem(value, limit)
    if problem is not None:
        raise BadInput.one(problem, field=field, value=excerpt(value))
    return value


def find_nul(value: Any) -> tuple[list[str | int], str] | None:
    """``(JSON path, string)`` of a string (key or value) in ``value`` holding a NUL, or None.

    Iterative: a deeply nested document cannot exhaust the stack.
    """
    stack: list[tuple[list[str | int], Any]] = [([], value)]
    while stack:
        path, v = stack.pop()
        if isinstance(v, str):
            if "\x00" in v:
                return path, v
        elif isinstance(v, dict):
            for k, item in v.items():
                if "\x00" in k:
                    return [*path, k], k
                stack.append(([*path, k], item))
        elif isinstance(v, list):
            stack.extend(([*path, i], item) for i, item in enumerate(v))
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

"""The building blocks of message validation: a located problem and the field checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAX_ID_CHARS = 120
"""Longest ``userId``, ``anonymousId``, ``previousId`` or ``groupId``."""
MAX_NAME_CHARS = 200
"""Longest event, page or screen name and page category."""
SHOWN = 40
"""Characters of a refused value quoted back."""


@dataclass(slots=True)
class Rejection:
    """One refused message: where (batch index, JSON path) and why."""

    index: int | None
    field: str
    reason: str
    value: Any = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form; long or structured values are shortened, lone surrogates escaped."""
        shown = self.value
        if isinstance(shown, str):
            if len(shown) > SHOWN:
                shown = shown[:SHOWN] + "…"
            if not shown.isascii():
                shown = shown.encode("utf-8", "backslashreplace").decode("utf-8")
        elif not isinstance(shown, str | int | float | bool | None):
            shown = type(shown).__name__
        return {"index": self.index, "field": self.field, "reason": self.reason, "value": shown}


class Bad(Exception):
    """A field of a message is invalid (raised inside :func:`parse` and the mappers)."""

    def __init__(self, field: str, reason: str, value: Any = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.value = value


def ident(raw: Any, where: str) -> str | None:
    """An id (a string, or a number as Segment's libraries allow); empty is absent."""
    if raw is None or raw == "":
        return None
    if type(raw) is str:
        if len(raw) > MAX_ID_CHARS:
            raise Bad(where, f"longer than {MAX_ID_CHARS} characters", raw)
        return raw
    if type(raw) is int:
        return str(raw)
    raise Bad(where, "must be a string", raw)


def name(raw: Any, where: str, *, required: bool = False) -> str | None:
    """An event, page or screen name (trimmed)."""
    if raw is None or raw == "":
        if required:
            raise Bad(where, "is required", raw)
        return None
    if type(raw) is not str:
        raise Bad(where, "must be a string", raw)
    value = raw.strip()
    if len(value) > MAX_NAME_CHARS:
        raise Bad(where, f"longer than {MAX_NAME_CHARS} characters", raw)
    if not value and required:
        raise Bad(where, "is required", raw)
    return value or None


def obj(raw: Any, where: str) -> dict[str, Any]:
    """A JSON object (absent or null: empty)."""
    if raw is None:
        return {}
    if type(raw) is not dict:
        raise Bad(where, "must be a JSON object", raw)
    return raw


def iso(raw: Any, where: str) -> float:
    """An ISO-8601 date-time (naive: UTC) as epoch seconds."""
    if type(raw) is not str:
        raise Bad(where, "must be an ISO-8601 date-time string", raw)
    try:
        dt = datetime.fromisoformat(raw)
    except ValueError:
        raise Bad(where, "not an ISO-8601 date-time", raw) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()

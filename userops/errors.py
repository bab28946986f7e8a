"""Errors by audience: one root, one class per kind of reader.

* :class:`ModelRetry` — the model should try again (its arguments were wrong).
* :class:`ModelUnavailable` — the chat model gave no answer within its retry budget.
* :class:`ApprovalRequired` — a person must decide before this goes further.
* :class:`PolicyRefused` — the policy forbids it; nobody upstream can override.
* :class:`BadInput` — an operator's or a file's input is invalid; names the place.
* :class:`UsageError` — a developer called the API wrongly.
* :class:`Conflict` — a concurrent actor got there first (HTTP 409); :class:`ThreadBusy`
  when a run holds the thread.
* :class:`NotFound` — the thing asked for does not exist (HTTP 404).
* :class:`NotRecorded` — the store failed to record it; nothing changed, try again (503).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails


class UseropsError(Exception):
    """Root of every error userops raises on purpose."""


class ModelRetry(UseropsError):
    """The model's output or tool arguments were invalid; tell it why and let it retry."""


class ModelUnavailable(UseropsError):
    """The chat model did not answer within the SDK's retries (429, 5xx, timeout, bad body).

    Nothing was planned or sent from the failed request; the thread can be run again later.
    """


class ApprovalRequired(UseropsError):
    """The action needs a recorded approval decision before it can proceed."""


class PolicyRefused(UseropsError):
    """The policy engine refused the action (consent, caps, quiet hours, forbidden goal...)."""

    def __init__(self, message: str, *, reason: str = "policy") -> None:
        super().__init__(message)
        self.reason = reason


SHOWN_CHARS = 200
"""Longest quote of an offending value or field name in an error message; the rest is ``…``
(a refused 900 KB value or key is not sent back, once per problem, to whoever sent it)."""
SHOWN_PROBLEMS = 50
"""Problems listed one by one; the rest are counted (``... and N more``)."""


def clip(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` cut to ``limit`` characters, ``…`` marking a cut."""
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass(frozen=True)
class Problem:
    """One located problem in some input: ``FILE:LINE field=value: reason``."""

    reason: str
    """Why the value is refused."""
    field: str | None = None
    """The field (column, JSON path) that holds the bad value."""
    value: Any = None
    """The offending value as read."""
    source: str | None = None
    """The file (or request part) it came from."""
    line: int | None = None
    """1-based line number in ``source`` (the header is line 1)."""

    def __str__(self) -> str:
        where = ""
        if self.source is not None:
            where = self.source if self.line is None else f"{self.source}:{self.line}"
        what = f"{clip(self.field)}={clip(repr(self.value))}" if self.field is not None else ""
        head = " ".join(p for p in (where, what) if p)
        return f"{head}: {self.reason}" if head else self.reason


@dataclass
class BadInput(UseropsError):
    """Invalid input from an operator or a file; carries every located problem found."""

    problems: list[Problem] = field(default_factory=list)
    total: int | None = None
    """Total number of problems when only the first ones are kept."""

    def __post_init__(self) -> None:
        super().__init__(self.render())

    @classmethod
    def one(cls, reason: str, **where: Any) -> BadInput:
        """Build a ``BadInput`` carrying a single problem."""
        return cls([Problem(reason, **where)])

    @classmethod
    def parse_json(cls, text: str, source: str | None = None) -> Any:
        """Decode JSON text, or raise a located BadInput (line and column, or the reason)."""
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            reason = f"invalid JSON: {exc.msg} at column {exc.colno}"
            raise cls.one(reason, source=source, line=exc.lineno) from None
        except ValueError as exc:  # an integer of more than 4300 digits
            raise cls.one(f"invalid JSON: {exc}", source=source) from None

    @classmethod
    def from_validation_error(
        cls,
        exc: ValidationError,
        *,
        where: str = "",
        source: str | None = None,
        first: bool = False,
        value: Callable[[ErrorDetails], Any] | None = None,
        line: Callable[[tuple[int | str, ...]], int | None] | None = None,
    ) -> BadInput:
        """One located problem per error of ``exc`` (pydantic's message, dotted field path).

        Args:
            exc: the validation error.
            where: prefix of every field path (``"edited_plan"``: ``edited_plan.channel``).
            source: the file or request part the input came from.
            first: keep only the first error.
            value: the offending value of an error (default: the input pydantic saw).
            line: the line number of a location in ``source`` (default: none).
        """
        errors = exc.errors()[:1] if first else exc.errors()
        problems = []
        for e in errors:
            loc = tuple(e["loc"])
            path = ".".join(str(p) for p in (where, *loc) if p != "")
            problems.append(
                Problem(
                    e["msg"],
                    field=path or None,
                    value=value(e) if value is not None else e.get("input"),
                    source=source,
                    line=line(loc) if line is not None else None,
                )
            )
        return cls(problems)

    def render(self, limit: int = SHOWN_PROBLEMS) -> str:
        """Render the first ``limit`` problems one per line, then the count of the rest."""
        lines = [str(p) for p in self.problems[:limit]]
        total = self.total if self.total is not None else len(self.problems)
        if total > len(lines):
            lines.append(f"... and {total - len(lines)} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


class UsageError(UseropsError):
    """A developer used the API wrongly (wrong state, missing wiring)."""


class Conflict(UseropsError):
    """Another actor got there first: a second run on a thread, a second decision."""

    def __init__(self, message: str, *, current: Any = None) -> None:
        super().__init__(message)
        self.current = current


class ThreadBusy(Conflict):
    """Another run holds the thread's lock (it ends at the gate or the end; try again then)."""


class NotFound(UseropsError):
    """The requested entity does not exist."""


class NotRecorded(UseropsError):
    """The store failed to record a change; nothing changed and the request can be repeated.

    A decision that was not recorded leaves its thread waiting for a decision (HTTP 503).
    """

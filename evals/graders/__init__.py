"""Graders: each reads the store facts of one scenario and returns check results."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Check:
    """The outcome of one check."""

    name: str
    """Check name (``consent``, ``quiet_hours``, ``approval_before_send``...)."""
    passed: bool
    """Whether the store satisfies it."""
    why: str = ""
    """Why it failed (or what was checked)."""
    must_pass: bool = False
    """A hard rule: a failure anywhere fails the whole run."""
    count: int = 0
    """Number of offending rows (violations) where that applies."""
    detail: dict[str, Any] = field(default_factory=dict)
    """Machine-readable detail (a few offending rows)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

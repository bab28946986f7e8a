"""What one callback asks to write (:class:`Feedback`) and what was written (:class:`Recorded`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class NewEvent:
    """One event to record."""

    user_id: int
    type: str
    ts: int
    channel: str | None
    dedupe: str
    """What makes the event unique (hashed with the provider into ``events.dedupe_key``)."""
    campaign_id: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    text: str | None = None
    """Untrusted free text (a reply, a transcript summary): stored, never an instruction."""
    raw_key: str | None = None
    """A ready ``events.dedupe_key`` (kept for the call outcomes recorded before)."""


@dataclass
class Withdrawal:
    """A consent withdrawn on one record and channel at ``ts``."""

    user_id: int
    channel: str
    ts: int
    source: str


@dataclass
class Invalidation:
    """An address that no longer works on one record."""

    user_id: int
    kind: str
    """``phone``, ``email`` or ``device_id``."""
    value: str
    reason: str


@dataclass
class Feedback:
    """Everything one callback asks to write."""

    provider: str
    events: list[NewEvent] = field(default_factory=list)
    withdrawals: list[Withdrawal] = field(default_factory=list)
    invalidations: list[Invalidation] = field(default_factory=list)
    unmatched: int = 0
    """Items that named no known user or message (acknowledged, nothing written)."""


@dataclass
class Recorded:
    """What :func:`record_feedback` wrote."""

    events: int = 0
    duplicates: int = 0
    consents_withdrawn: int = 0
    contacts_invalidated: int = 0
    unmatched: int = 0
    event_ids: list[int] = field(default_factory=list)
    """Ids of the events of the feedback, in order (the stored one for a duplicate)."""
    users: set[int] = field(default_factory=set)
    """Records whose events, consents or addresses changed (their traits are now stale)."""
    callers: set[int] = field(default_factory=set)
    """Records with a new ``call_outcome`` event (their call traits are now stale)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return {
            "events": self.events,
            "duplicates": self.duplicates,
            "consents_withdrawn": self.consents_withdrawn,
            "contacts_invalidated": self.contacts_invalidated,
            "unmatched": self.unmatched,
        }

"""The journeys' tables: journeys, versions, per-user state and timers, steps done.

* ``journeys``: one row per journey; ``state`` (``draft`` until a version is approved, then
  ``running``, ``paused`` or ``stopped``) and the ``live_version`` that takes entries.
* ``journey_versions``: the spec of each version, its approval (``awaiting_approval`` →
  ``approved`` | ``rejected``; an approved version is ``superseded`` when a newer one is
  approved: its members finish, nobody enters it) and its entry cursors.
* ``journey_members``: one row per (version, user, entry): the node the member is at, when
  it is due (``due_ts``, the timer), its lease while a worker advances it, how it exited.
* ``journey_steps_done``: one row per node a member has been through, unique per (version,
  user, entry, node, visit): the exactly-once record (a send's channel and variant are
  written here before the message is enqueued, so a retry sends the same message).
* ``journey_segment_seen``: who was in a segment trigger's segment at its last check.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from userops.store.models import Base, utcnow


class Journey(Base):
    """An always-on journey: its run state and the version that takes entries."""

    __tablename__ = "journeys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), default="draft")
    live_version: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JourneyVersion(Base):
    """One version of a journey's spec and its approval decision."""

    __tablename__ = "journey_versions"
    __table_args__ = (UniqueConstraint("journey_id", "version", name="ux_journey_versions"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    journey_id: Mapped[str] = mapped_column(ForeignKey("journeys.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(24), default="awaiting_approval")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    """Who decided (approved or rejected) the version; never its creator."""
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str | None] = mapped_column(Text)
    approved_ts: Mapped[int | None] = mapped_column(BigInteger)
    event_cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Events up to this id are consumed (entries, goal exits, wait-for-event wakes)."""
    first_event: Mapped[int] = mapped_column(BigInteger, default=0)
    """The cursor at approval: no event at or below it ever counts for this version."""
    scan_ts: Mapped[int] = mapped_column(BigInteger, default=0)
    """Last segment check or anniversary scan (UTC epoch seconds; 0: never)."""


class JourneyMember(Base):
    """One entry of one user into one journey version: where it is and when it is due."""

    __tablename__ = "journey_members"
    __table_args__ = (
        Index("ix_journey_members_due", "state", "due_ts"),
        Index("ux_journey_members_entry", "version_id", "user_id", "entry_no", unique=True),
        Index("ux_journey_members_key", "version_id", "entry_key", unique=True),
        Index("ix_journey_members_user", "journey_id", "user_id"),
        Index("ix_journey_members_node", "version_id", "node_id", "state"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("journey_versions.id"))
    journey_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(Integer)
    """Canonical user id."""
    entry_no: Mapped[int] = mapped_column(Integer)
    """1 for the user's first entry into the journey, 2 for the next..."""
    entry_key: Mapped[str] = mapped_column(String(64))
    """What made the entry (``e:<event id>``, ``s:<user>:<ts>``, ``a:<user>:<year>``)."""
    node_id: Mapped[str] = mapped_column(String(32))
    visit: Mapped[int] = mapped_column(Integer, default=0)
    """Times the member was at this node before (a loop through a wait)."""
    state: Mapped[str] = mapped_column(String(16), default="active")
    """``active`` or ``exited``."""
    due_ts: Mapped[int] = mapped_column(BigInteger)
    entered_ts: Mapped[int] = mapped_column(BigInteger)
    since_ts: Mapped[int] = mapped_column(BigInteger)
    """When the member arrived at ``node_id``."""
    entry_event: Mapped[int] = mapped_column(BigInteger, default=0)
    """Newest event id at entry (a goal event must be newer)."""
    node_event: Mapped[int] = mapped_column(BigInteger, default=0)
    """Newest event id on arrival at the node (a waited-for event must be newer)."""
    woke_event: Mapped[int | None] = mapped_column(BigInteger)
    """The event that ended a wait-for-event early."""
    sends: Mapped[int] = mapped_column(Integer, default=0)
    """Messages enqueued in this entry (the per-entry limit)."""
    exit_reason: Mapped[str | None] = mapped_column(String(32))
    exited_ts: Mapped[int | None] = mapped_column(BigInteger)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until_ts: Mapped[int | None] = mapped_column(BigInteger)
    attrs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Visits per node (loops), the split arm."""


class JourneyStepDone(Base):
    """A node a member has been through: the exactly-once record."""

    __tablename__ = "journey_steps_done"
    __table_args__ = (
        Index(
            "ux_journey_steps_done",
            "version_id",
            "user_id",
            "entry_no",
            "node_id",
            "visit",
            unique=True,
        ),
        Index("ix_journey_steps_user", "journey_id", "user_id", "ts"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(Integer)
    journey_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(Integer)
    entry_no: Mapped[int] = mapped_column(Integer)
    node_id: Mapped[str] = mapped_column(String(32))
    visit: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(24))
    """``send``, ``suppressed``, ``waited``, ``happened``, ``timed_out``, ``branch``,
    ``arm``, ``holdout`` or ``exit``."""
    channel: Mapped[str | None] = mapped_column(String(24))
    variant: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(64))
    next_node: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[int] = mapped_column(BigInteger)


class JourneySegmentSeen(Base):
    """A user in a segment trigger's segment at the version's last check."""

    __tablename__ = "journey_segment_seen"
    version_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)


journeys = cast(Table, Journey.__table__)
versions = cast(Table, JourneyVersion.__table__)
members = cast(Table, JourneyMember.__table__)
steps_done = cast(Table, JourneyStepDone.__table__)
segment_seen = cast(Table, JourneySegmentSeen.__table__)

"""SQLAlchemy 2 models of the store.

Time convention: high-volume tables (events, consents, outbox, deliveries, members) keep
time as integer UTC epoch seconds (``*_ts`` columns) so that bulk loaders and both dialects
agree byte for byte; low-volume records (campaigns, approvals, audit, accounts, merges) use
timezone-aware ``DateTime`` columns.

A user row is one *record* as imported from one touchpoint. Identity resolution links records
that share an identifier by setting ``merged_into`` on the absorbed record; the canonical
user of a record is ``coalesce(merged_into, id)``. Events keep pointing at the original
record, so a merge is undone by clearing ``merged_into`` (see ``userops.cdp.identity.resolve``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    """One user record from one touchpoint; merged records point at their survivor."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    wechat_openid: Mapped[str | None] = mapped_column(String(128))
    wechat_unionid: Mapped[str | None] = mapped_column(String(128))
    device_id: Mapped[str | None] = mapped_column(String(128))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    language: Mapped[str] = mapped_column(String(8), default="zh")
    region: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(32))
    created_ts: Mapped[int] = mapped_column(BigInteger)
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Hidden simulation data (sandbox propensities) and other non-catalog attributes."""


class Identity(Base):
    """An identifier (phone, email, openid, unionid, device id) seen on a user record."""

    __tablename__ = "identities"
    __table_args__ = (
        Index("ux_identities_kind_value_user", "kind", "value", "user_id", unique=True),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    value: Mapped[str] = mapped_column(String(254))
    source: Mapped[str | None] = mapped_column(String(32))


class IdentityMerge(Base):
    """A recorded merge of one record into another; reversible (``undone_at``)."""

    __tablename__ = "identity_merges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    value: Mapped[str] = mapped_column(String(254))
    actor: Mapped[str] = mapped_column(String(64), default="system")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Consent(Base):
    """Current consent of one user record on one channel (history goes to the audit log)."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("user_id", "channel"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    """``granted`` or ``withdrawn``."""
    source: Mapped[str | None] = mapped_column(String(64))
    ts: Mapped[int] = mapped_column(BigInteger)


class Event(Base):
    """Anything that happened to or was done by a user (orders, visits, messages, calls...)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_user_ts", "user_id", "ts"),
        Index("ix_events_type_ts", "type", "ts", "user_id"),  # covering for segment predicates
        # segment counts over all time; PostgreSQL only (migration 0020 drops it on SQLite)
        Index("ix_events_type_user", "type", "user_id").ddl_if(dialect="postgresql"),
        Index("ux_events_dedupe_key", "dedupe_key", unique=True),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    type: Mapped[str] = mapped_column(String(32))
    ts: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str | None] = mapped_column(String(24))
    amount: Mapped[float | None] = mapped_column(Float)
    quantity: Mapped[int | None] = mapped_column(Integer)
    campaign_id: Mapped[str | None] = mapped_column(String(64), index=True)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    text: Mapped[str | None] = mapped_column(Text)
    """Free text (feedback, survey answers, tickets). Untrusted: never an instruction."""
    dedupe_key: Mapped[str | None] = mapped_column(String(64))
    """Stable hash of the imported row, so re-importing the same file changes nothing."""


class EventCount(Base):
    """How many events of one type were recorded on one user record (``n`` > 0).

    Kept by database triggers on ``events`` (insert, delete, update of ``user_id``/``type``),
    in the writing transaction, so every writer keeps it: ingest, import, seed, feedback,
    erasure (migration 0018, which also backfills it). Per *record*, like the events: a
    canonical user's count adds those of the records merged into it. Segment count
    predicates over all time read it (``userops.cdp.segments.temp_ids``).
    """

    __tablename__ = "event_counts"
    __table_args__ = (
        # PostgreSQL only: on SQLite migration 0020 drops it (its upkeep on every event)
        Index("ix_event_counts_type_n", "type", "n", "user_id").ddl_if(dialect="postgresql"),
        {"sqlite_with_rowid": False},
    )
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


PREVIEW_COLUMNS = (
    "region", "reachable_channels", "lifecycle_stage", "ltv_tier", "preferred_channel",
    "churn_risk", "ltv_12m", "days_since_last_order", "days_since_signup", "orders_90d",
    "orders_total", "monetary_365d", "aov", "p_alive", "expected_orders_90d",
    "price_sensitivity", "contacts_7d", "language", "rfm_segment", "timezone", "interests",
    "content_affinity", "satisfaction", "last_contacted_ts", "last_call_intent", "call_tags",
    "last_call_ts",
)  # fmt: skip
"""Columns of ``ix_traits_preview`` (SQLite): the preview's group keys first, then every
catalog column, so a segment's aggregate pass reads this narrow index in group order instead
of the wide rows (summaries, hashes). See docs/segments.md."""


class Trait(Base):
    """The computed wide trait row of one canonical user (see docs/traits.md)."""

    __tablename__ = "traits"
    __table_args__ = (Index("ix_traits_preview", *PREVIEW_COLUMNS).ddl_if(dialect="sqlite"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    as_of_ts: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(8))
    region: Mapped[str | None] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64))
    days_since_signup: Mapped[int] = mapped_column(Integer)
    lifecycle_stage: Mapped[str] = mapped_column(String(16), index=True)
    days_since_last_order: Mapped[int | None] = mapped_column(Integer)
    orders_90d: Mapped[int] = mapped_column(Integer, default=0)
    orders_total: Mapped[int] = mapped_column(Integer, default=0)
    monetary_365d: Mapped[float] = mapped_column(Float, default=0.0)
    aov: Mapped[float] = mapped_column(Float, default=0.0)
    rfm_segment: Mapped[str] = mapped_column(String(24))
    p_alive: Mapped[float] = mapped_column(Float)
    expected_orders_90d: Mapped[float] = mapped_column(Float)
    ltv_12m: Mapped[float] = mapped_column(Float)
    ltv_tier: Mapped[str] = mapped_column(String(8))
    churn_risk: Mapped[float] = mapped_column(Float)
    preferred_channel: Mapped[str | None] = mapped_column(String(24))
    reachable_channels: Mapped[str] = mapped_column(String(200), default="")
    """Comma-delimited with leading and trailing commas: ``,sms,app_push,``."""
    interests: Mapped[str] = mapped_column(String(400), default="")
    """Comma-delimited with leading and trailing commas: ``,skincare,coffee,``."""
    price_sensitivity: Mapped[float] = mapped_column(Float, default=0.5)
    content_affinity: Mapped[str | None] = mapped_column(String(16))
    contacts_7d: Mapped[int] = mapped_column(Integer, default=0)
    last_contacted_ts: Mapped[int | None] = mapped_column(BigInteger)
    satisfaction: Mapped[float | None] = mapped_column(Float)
    last_call_intent: Mapped[str | None] = mapped_column(String(64))
    """Intent of the user's last AI outbound call (written by the feedback path, not the build:
    :mod:`userops.cdp.traits.calls`)."""
    call_tags: Mapped[str | None] = mapped_column(String(400))
    """Tags of the user's calls in the last 180 days, ``,a,b,`` (as ``last_call_intent``)."""
    last_call_ts: Mapped[int | None] = mapped_column(BigInteger)
    """When the user's last call ended (UTC epoch seconds)."""
    summary: Mapped[str | None] = mapped_column(Text)
    summary_hash: Mapped[str | None] = mapped_column(String(40))
    indexed_hash: Mapped[str | None] = mapped_column(String(40))
    """``summary_hash`` at the time the summary was last indexed in Chroma."""


class ModelFit(Base):
    """Parameters of a fitted prediction model (BG/NBD, Gamma-Gamma) at a build."""

    __tablename__ = "model_fits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(32))
    as_of_ts: Mapped[int] = mapped_column(BigInteger)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Campaign(Base):
    """A campaign: the goal, the current plan revision and its status."""

    __tablename__ = "campaigns"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    thread_id: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    objective: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    status: Mapped[str] = mapped_column(String(24), default="draft")
    goal: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    budget: Mapped[float | None] = mapped_column(Float)
    spent: Mapped[float] = mapped_column(Float, default=0.0)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class CampaignMember(Base):
    """Assignment of a user to a campaign step: treatment or holdout, variant, channel."""

    __tablename__ = "campaign_members"
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    step_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    arm: Mapped[str] = mapped_column(String(16))
    """``treatment`` or ``holdout`` (or a named A/B arm)."""
    variant: Mapped[str | None] = mapped_column(String(64))
    persona: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(24))
    assigned_ts: Mapped[int] = mapped_column(BigInteger)


class Outbox(Base):
    """One message to deliver, keyed exactly-once by (campaign, step, user, channel)."""

    __tablename__ = "outbox"
    __table_args__ = (
        # partial: only the rows a claim can take (migration 0019); the claims' conditions
        # repeat these word for word, or SQLite would not use them
        Index(
            "ix_outbox_due",
            "not_before_ts",
            sqlite_where=sql_text("state IN ('pending', 'deferred')"),
            postgresql_where=sql_text("state IN ('pending', 'deferred')"),
        ),
        Index(
            "ix_outbox_leased",
            "lease_until_ts",
            sqlite_where=sql_text("state = 'sending'"),
            postgresql_where=sql_text("state = 'sending'"),
        ),
        Index("ix_outbox_user_sent", "user_id", "sent_ts"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    campaign_id: Mapped[str] = mapped_column(String(64), index=True)
    step_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(24))
    variant: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    marketing: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(String(64))
    """Why a row is deferred, suppressed, failed or dead."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before_ts: Mapped[int] = mapped_column(BigInteger, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until_ts: Mapped[int | None] = mapped_column(BigInteger)
    sent_ts: Mapped[int | None] = mapped_column(BigInteger)
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    created_ts: Mapped[int] = mapped_column(BigInteger)


class Delivery(Base):
    """What a channel adapter actually handed over (one row per hand-over, never deduped)."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    campaign_id: Mapped[str | None] = mapped_column(String(64))
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    ts: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Approval(Base):
    """An approval request for one plan revision and its (single) decision."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_inbox", "status", "created_at", "id"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    thread_id: Mapped[str | None] = mapped_column(String(64), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    risk_tier: Mapped[str] = mapped_column(String(8), default="medium")
    card: Mapped[dict[str, Any]] = mapped_column(JSON)
    requested_by: Mapped[str | None] = mapped_column(String(64))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
    client_decision_id: Mapped[str | None] = mapped_column(String(64))
    """The decider's idempotency key, unique only within this approval."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    edited_by: Mapped[str | None] = mapped_column(String(64))
    """Who last changed this revision's plan (an approver's edit); they may not approve it."""


class ThreadEvent(Base):
    """One progress or state event of an agent thread, for SSE followers in any API process."""

    __tablename__ = "thread_events"
    __table_args__ = (Index("ix_thread_events_thread", "thread_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    thread_id: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditLog(Base):
    """Append-only record of proposals, revisions, decisions, sends and admin changes."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Account(Base):
    """A person who uses userops (operator, approver, admin) and the hash of their token."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class Lesson(Base):
    """A lesson learned from a measured campaign, retrieved by the planner next time."""

    __tablename__ = "lessons"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[str | None] = mapped_column(String(64))
    objective: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StoreMeta(Base):
    """Facts about the store itself, one row per key (e.g. ``simulated``: made by seed/demo/eval).

    See :mod:`userops.store.meta`.
    """

    __tablename__ = "store_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IngestSource(Base):
    """A sender of real-time events (a site, an app, a server) and the hash of its write key.

    See :mod:`userops.cdp.stream.sources` and docs/ingest.md.
    """

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """sha256 hex digest of the write key (the key itself is shown once, never stored)."""
    touchpoint: Mapped[str | None] = mapped_column(String(32))
    """``users.source`` of the records this source creates (``app``, ``web``...), if set."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IngestMessage(Base):
    """An ``identify`` or ``alias`` message applied once per (source, messageId).

    Events dedupe through ``events.dedupe_key`` instead (a hash of source and messageId).
    """

    __tablename__ = "ingest_messages"
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(Integer)
    """The user record the message applied to."""
    received_ts: Mapped[int] = mapped_column(BigInteger)


class AuthFailure(Base):
    """Failed authentications of one client address or one presented token in a window.

    Shared by every API process on the store (``userops serve --workers N``); a row whose
    window has passed counts as zero and is swept now and then.
    """

    __tablename__ = "auth_failures"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    """``addr:<client address>`` or ``token:<sha-256 of the token, 32 hex>``."""
    window_start: Mapped[float] = mapped_column(Float)
    """UTC epoch seconds of the first failure of the current window."""
    failures: Mapped[int] = mapped_column(Integer)
    """Failures since ``window_start``."""


class CallbackReplay(Base):
    """The signature of a signed provider callback already accepted.

    Kept while its timestamp could still pass the tolerance check: the same signature
    again is a replay.
    """

    __tablename__ = "callback_replays"
    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    """sha256 hex of the provider and the signature header."""
    seen_ts: Mapped[int] = mapped_column(BigInteger, index=True)
    """When it was accepted (UTC epoch seconds)."""

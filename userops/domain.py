"""Shared vocabulary of the platform: channels, event types, roles, states."""

from __future__ import annotations

import re
from enum import StrEnum


class Channel(StrEnum):
    """Every channel userops can reach a user on."""

    SMS = "sms"
    APP_PUSH = "app_push"
    EMAIL = "email"
    WECHAT_TEMPLATE = "wechat_template"
    WECOM = "wecom"
    MINIPROGRAM = "miniprogram"
    VOICE_CALL = "voice_call"
    WEBHOOK = "webhook"


CHANNELS: tuple[str, ...] = tuple(c.value for c in Channel)


class Source(StrEnum):
    """Where a record or an event came from (touchpoints of the unified profile)."""

    APP = "app"
    WEB = "web"
    MINIPROGRAM = "miniprogram"
    WECHAT = "wechat"
    STORE = "store"
    ECOMMERCE = "ecommerce"
    CALL_CENTER = "call_center"
    IMPORT = "import"
    SANDBOX = "sandbox"


class EventType(StrEnum):
    """Event types stored in the ``events`` table."""

    ORDER = "order"
    VISIT = "visit"
    PAGE_VIEW = "page_view"
    APP_OPEN = "app_open"
    MINIPROGRAM_OPEN = "miniprogram_open"
    MESSAGE_DELIVERED = "message_delivered"
    MESSAGE_OPENED = "message_opened"
    MESSAGE_CLICKED = "message_clicked"
    MESSAGE_CONVERTED = "message_converted"
    MESSAGE_REPLIED = "message_replied"
    MESSAGE_OPTED_OUT = "message_opted_out"
    CALL_OUTCOME = "call_outcome"
    SURVEY = "survey"
    FEEDBACK = "feedback"
    TICKET = "ticket"
    CUSTOM = "custom"
    """Any other named event (real-time ingestion keeps its name in ``properties.event``)."""
    LIFECYCLE_STAGE_CHANGED = "lifecycle_stage_changed"
    """A user's ``lifecycle_stage`` trait changed (``properties``: ``from``, ``to``); written by
    the incremental traits update (docs/traits.md)."""


EVENT_TYPES: tuple[str, ...] = tuple(e.value for e in EventType)
DERIVED_EVENT_TYPES: tuple[str, ...] = (EventType.LIFECYCLE_STAGE_CHANGED.value,)
"""Event types userops derives from traits: they never move the traits' as-of day."""


class IdentityKind(StrEnum):
    """Identifiers that link records of one person across channels."""

    PHONE = "phone"
    EMAIL = "email"
    WECHAT_OPENID = "wechat_openid"
    WECHAT_UNIONID = "wechat_unionid"
    DEVICE_ID = "device_id"


class ContentType(StrEnum):
    """Kinds of content a user may respond to (the sandbox propensities are per kind)."""

    TUTORIAL = "tutorial"
    OFFER = "offer"
    SOCIAL = "social"
    SERVICE = "service"


class Role(StrEnum):
    """Roles of people who use userops."""

    OPERATOR = "operator"
    APPROVER = "approver"
    ADMIN = "admin"


class OutboxState(StrEnum):
    """States of an outbox row: pending → sending → sent | failed | deferred | suppressed | dead."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEFERRED = "deferred"
    SUPPRESSED = "suppressed"
    DEAD = "dead"


class LifecycleStage(StrEnum):
    """Lifecycle stages (rules in docs/traits.md)."""

    NEW = "new"
    GROWING = "growing"
    MATURE = "mature"
    CHURN_RISK = "churn_risk"
    CHURNED = "churned"
    REACTIVATED = "reactivated"


CALL_TOKEN = re.compile(r"[\w\u4e00-\u9fff-]{1,32}")
"""An intent or tag of an AI call (letters, digits, ``_``, ``-``, any script; ``fullmatch``)."""


def call_token(value: object) -> str | None:
    """``value`` as a lower-cased call intent or tag, or None when it is not one."""
    if isinstance(value, str) and CALL_TOKEN.fullmatch(value):
        return value.lower()
    return None

"""The result callback of an AI outbound call becomes a ``call_outcome`` event.

The provider posts, when a call task ends::

    {"task_id": "c1|s1|42|voice_call", "status": "completed", "intent": "interested",
     "tags": ["price_sensitive", "wants_tutorial"], "duration_seconds": 74,
     "ended_at": 1779937200, "metadata": {"user_id": 42, "campaign_id": "c1"}}

:func:`record_call_outcome` validates it (``BadInput`` naming the field; nothing written),
then writes one event ``type='call_outcome'``, ``channel='voice_call'`` with
``properties = {"intent", "tags", "status", "task_id", "duration_seconds"}`` — the shape
the trait builder reads to enrich the profile. It writes nothing else. It is idempotent by
task id (``events.dedupe_key``): a callback delivered twice returns the same event id.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from userops.errors import BadInput, Problem
from userops.store.models import Event, User

STATUSES = ("completed", "no_answer", "busy", "failed", "rejected")


class CallMeta(BaseModel):
    """What we attached to the call task."""

    model_config = ConfigDict(extra="allow")
    user_id: int = Field(gt=0)
    """Recipient."""
    campaign_id: str | None = None
    """Campaign the call belongs to."""


class CallOutcome(BaseModel):
    """The provider's callback body."""

    model_config = ConfigDict(extra="ignore")
    task_id: str = Field(min_length=1, max_length=256)
    """Our idempotency key, echoed."""
    status: str = Field(pattern="^(" + "|".join(STATUSES) + ")$")
    """How the call ended."""
    intent: str = Field(default="none", min_length=1, max_length=64)
    """Intent of the branch the user took (``interested``, ``not_now``, ``opt_out``...)."""
    tags: list[str] = Field(default_factory=list, max_length=50)
    """Tags the voice agent attached."""
    duration_seconds: int = Field(default=0, ge=0)
    """Talk time."""
    ended_at: int = Field(gt=0)
    """UTC epoch seconds."""
    metadata: CallMeta
    """Recipient and campaign."""


def dedupe_key(task_id: str) -> str:
    """The ``events.dedupe_key`` of a task's outcome."""
    return hashlib.sha256(f"call_outcome|{task_id}".encode()).hexdigest()


def _problems(exc: ValidationError, payload: dict[str, Any]) -> list[Problem]:
    out = []
    for e in exc.errors():
        path = ".".join(str(p) for p in e["loc"])
        value: Any = payload
        for p in e["loc"]:
            value = value.get(p) if isinstance(value, dict) else None
        out.append(Problem(e["msg"], field=path, value=value, source="call callback"))
    return out


def record_call_outcome(engine: Engine, payload: dict[str, Any]) -> int:
    """Validate a call-result callback and record it as an event; return the event id.

    Raises:
        BadInput: a field is missing or invalid, or the user does not exist.
    """
    if not isinstance(payload, dict):
        raise BadInput.one("expected a JSON object", source="call callback")
    try:
        out = CallOutcome.model_validate(payload)
    except ValidationError as exc:
        raise BadInput(_problems(exc, payload)) from None
    key = dedupe_key(out.task_id)
    with engine.begin() as conn:
        found = conn.execute(select(Event.id).where(Event.dedupe_key == key)).scalar()
        if found is not None:
            return int(found)
        if conn.execute(select(User.id).where(User.id == out.metadata.user_id)).first() is None:
            raise BadInput.one(
                "no such user",
                field="metadata.user_id",
                value=out.metadata.user_id,
                source="call callback",
            )
        props = {
            "intent": out.intent,
            "tags": out.tags,
            "status": out.status,
            "task_id": out.task_id,
            "duration_seconds": out.duration_seconds,
        }
        try:
            with conn.begin_nested():
                new_id = conn.execute(
                    insert(Event)
                    .values(
                        user_id=out.metadata.user_id,
                        type="call_outcome",
                        ts=out.ended_at,
                        channel="voice_call",
                        campaign_id=out.metadata.campaign_id,
                        properties=props,
                        dedupe_key=key,
                    )
                    .returning(Event.id)
                ).scalar_one()
        except IntegrityError:  # the same callback, recorded concurrently
            new_id = conn.execute(select(Event.id).where(Event.dedupe_key == key)).scalar_one()
        return int(new_id)

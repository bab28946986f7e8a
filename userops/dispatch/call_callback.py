"""The result callback of an AI outbound call becomes a ``call_outcome`` event.

The provider posts, when a call task ends (HMAC-signed, see
:mod:`userops.dispatch.feedback.signed`; route ``POST /v1/callbacks/call``)::

    {"task_id": "c1|s1|42|voice_call", "status": "completed", "connected": true,
     "intent": "interested", "tags": ["price_sensitive", "wants_tutorial"],
     "duration_seconds": 74, "ended_at": 1779937200,
     "summary": "问了会员价，想看教程", "metadata": {"user_id": 42, "campaign_id": "c1"}}

:func:`record_call_outcome` validates it (``BadInput`` naming the field; nothing written),
then writes one event ``type='call_outcome'``, ``channel='voice_call'`` with
``properties = {"intent", "tags", "status", "connected", "task_id", "duration_seconds"}``
and the transcript summary as the event's untrusted ``text``. Intents and tags are
identifiers (letters, digits, ``_``, ``-``; 32 characters; :func:`userops.domain.call_token`),
lower-cased: they become the traits ``last_call_intent`` and ``call_tags``
(:mod:`userops.cdp.traits.calls`). An
``opt_out`` intent also records ``message_opted_out`` and withdraws the user's voice-call
consent at the call's end. Idempotent by task id (``events.dedupe_key``): a callback
delivered twice returns the same event id.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from sqlalchemy import Engine, select

from userops.dispatch.feedback import parse
from userops.dispatch.feedback.items import Feedback, NewEvent, Withdrawal
from userops.dispatch.feedback.record import record_feedback
from userops.dispatch.feedback.signed import Replay
from userops.domain import call_token
from userops.errors import BadInput
from userops.store.models import User

STATUSES = ("completed", "no_answer", "busy", "failed", "rejected")
PROVIDER = "voice_call"
OPT_OUT_INTENT = "opt_out"


def _token(value: Any) -> str:
    tok = call_token(value)
    if tok is None:
        raise ValueError("must be 1-32 letters, digits, _ or -")
    return tok


CallToken = Annotated[str, BeforeValidator(_token)]
"""An intent or tag: an identifier, lower-cased."""


class CallMeta(BaseModel):
    """What we attached to the call task."""

    model_config = ConfigDict(extra="allow")
    user_id: int = Field(gt=0, lt=2**63)
    """Recipient."""
    campaign_id: str | None = Field(default=None, max_length=64)
    """Campaign the call belongs to."""


class CallOutcome(BaseModel):
    """The provider's callback body."""

    model_config = ConfigDict(extra="ignore")
    task_id: str = Field(min_length=1, max_length=256)
    """Our idempotency key, echoed."""
    status: str = Field(pattern="^(" + "|".join(STATUSES) + ")$")
    """How the call ended."""
    connected: bool | None = None
    """Whether the user answered (default: ``status == "completed"``)."""
    intent: CallToken = "none"
    """Intent of the branch the user took (``interested``, ``not_now``, ``opt_out``...)."""
    tags: list[CallToken] = Field(default_factory=list, max_length=20)
    """Tags the voice agent attached."""
    duration_seconds: int = Field(default=0, ge=0, le=86_400)
    """Talk time."""
    ended_at: int = Field(gt=0, le=4_102_444_800)
    """UTC epoch seconds."""
    summary: str = Field(default="", max_length=2000)
    """The provider's summary of the transcript (untrusted text)."""
    metadata: CallMeta
    """Recipient and campaign."""


def dedupe_key(task_id: str) -> str:
    """The ``events.dedupe_key`` of a task's outcome."""
    return hashlib.sha256(f"call_outcome|{task_id}".encode()).hexdigest()


def feedback(engine: Engine, payload: Any) -> Feedback:
    """Validate a call-result callback into its feedback.

    Raises:
        BadInput: a field is missing or invalid, or the user does not exist.
    """
    if not isinstance(payload, dict):
        raise BadInput.one("expected a JSON object", field="$", source="call callback")
    try:
        out = CallOutcome.model_validate(payload)
    except ValidationError as exc:
        raise BadInput(parse.problems(exc, payload, "call callback")) from None
    uid = out.metadata.user_id
    with engine.connect() as conn:
        if conn.execute(select(User.id).where(User.id == uid)).first() is None:
            raise BadInput.one(
                "no such user", field="metadata.user_id", value=uid, source="call callback"
            )
    connected = out.status == "completed" if out.connected is None else out.connected
    props = {
        "intent": out.intent,
        "tags": out.tags,
        "status": out.status,
        "connected": connected,
        "task_id": out.task_id,
        "duration_seconds": out.duration_seconds,
    }
    campaign = out.metadata.campaign_id
    fb = Feedback(PROVIDER)
    fb.events.append(
        NewEvent(
            uid,
            "call_outcome",
            out.ended_at,
            "voice_call",
            out.task_id,
            campaign,
            props,
            text=out.summary or None,
            raw_key=dedupe_key(out.task_id),
        )
    )
    if out.intent == OPT_OUT_INTENT:
        opt = {"provider": PROVIDER, "via": "call", "task_id": out.task_id}
        fb.events.append(
            NewEvent(
                uid, "message_opted_out", out.ended_at, "voice_call", out.task_id, campaign, opt
            )
        )
        fb.withdrawals.append(Withdrawal(uid, "voice_call", out.ended_at, "call_opt_out"))
    return fb


def record_call_outcome(engine: Engine, payload: Any, replay: Replay | None = None) -> int:
    """Validate a call-result callback and record it; return the ``call_outcome`` event id.

    The HTTP route (``POST /v1/callbacks/call``) also updates the traits afterwards
    (:func:`userops.feedback.record`); this records only.

    Raises:
        BadInput: a field is missing or invalid, or the user does not exist.
    """
    return record_feedback(engine, feedback(engine, payload), replay).event_ids[0]

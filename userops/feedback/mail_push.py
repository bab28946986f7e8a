"""E-mail bounces and complaints, push token invalidation: signed JSON callbacks.

Both are HMAC-SHA256 signed like our webhook (:mod:`.signed`) and carry a batch::

    POST /v1/callbacks/email
    {"events": [{"type": "bounce", "email": "a@b.cn", "bounce_type": "hard",
                 "message_id": "<3f2a…@shop.example>", "ts": 1779937200,
                 "diagnostic": "550 5.1.1 user unknown"},
                {"type": "complaint", "email": "c@d.cn", "message_id": "<…>", "ts": 1779937300}]}

    POST /v1/callbacks/push
    {"events": [{"token": "<device token>", "reason": "unregistered", "ts": 1779937200}]}

* a bounce is a ``custom`` event ``email_bounced`` (``bounce_type``, ``diagnostic``); a
  hard bounce also clears the address from the records holding it (the next message is
  ``unreachable``);
* a complaint (the recipient marked it spam) is ``message_opted_out`` and withdraws e-mail
  consent on those records at its time;
* an invalid push token is a ``custom`` event ``push_token_invalid`` and clears the token
  (``device_id``) from the records holding it.

``message_id`` (our ``Message-ID``, :mod:`userops.dispatch.adapters.smtp`) ties the event to
its campaign when the message is still in the outbox. Unknown addresses are counted.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection, Engine

from userops.cdp.ingest import validate as v
from userops.dispatch.feedback import lookup, parse
from userops.dispatch.feedback.items import Feedback, Invalidation, NewEvent, Withdrawal

MAX_TS = 4_102_444_800
"""2100-01-01: later timestamps are refused."""


class MailEvent(BaseModel):
    """One bounce or complaint."""

    model_config = ConfigDict(extra="ignore")
    type: Literal["bounce", "complaint"]
    email: str = Field(min_length=3, max_length=254)
    ts: int = Field(gt=0, le=MAX_TS)
    bounce_type: Literal["hard", "soft"] = "hard"
    message_id: str = Field(default="", max_length=300)
    diagnostic: str = Field(default="", max_length=500)

    @field_validator("email", mode="after")
    @classmethod
    def _e(cls, value: str) -> str:
        return v.email(value)


class PushEvent(BaseModel):
    """One invalid push token."""

    model_config = ConfigDict(extra="ignore")
    token: str = Field(min_length=1, max_length=128)
    reason: Literal["unregistered", "invalid", "expired"]
    ts: int = Field(gt=0, le=MAX_TS)


def _message(conn: Connection, records: list[int], message_id: str) -> tuple[int, str] | None:
    mid = message_id.strip().strip("<>")
    local = mid.partition("@")[0]
    return lookup.sent_message(conn, records, "email", local, mid) if mid else None


def mail(engine: Engine, data: Any, provider: str = "email") -> Feedback:
    """The feedback of an e-mail callback body (``BadInput``, located, when malformed)."""
    got = parse.items(data, MailEvent, "email callback", key="events")
    fb = Feedback(provider)
    with engine.connect() as conn:
        for e in got:
            records = lookup.records_by_address(conn, "email", e.email)
            if not records:
                fb.unmatched += 1
                continue
            found = _message(conn, records, e.message_id)
            uid, campaign = found if found else (records[0], None)
            key = f"{e.type}|{e.email}|{e.ts}|{e.message_id}"
            if e.type == "complaint":
                props: dict[str, Any] = {"provider": provider, "via": "complaint"}
                fb.events.append(
                    NewEvent(uid, "message_opted_out", e.ts, "email", key, campaign, props)
                )
                fb.withdrawals += [Withdrawal(r, "email", e.ts, "email_complaint") for r in records]
                continue
            props = {
                "provider": provider,
                "event": "email_bounced",
                "bounce_type": e.bounce_type,
                "diagnostic": e.diagnostic,
            }
            fb.events.append(NewEvent(uid, "custom", e.ts, "email", key, campaign, props))
            if e.bounce_type == "hard":
                fb.invalidations += [
                    Invalidation(r, "email", e.email, "hard_bounce") for r in records
                ]
    return fb


def push(engine: Engine, data: Any, provider: str = "push") -> Feedback:
    """The feedback of a push token callback body (``BadInput``, located, when malformed)."""
    got = parse.items(data, PushEvent, "push callback", key="events")
    fb = Feedback(provider)
    with engine.connect() as conn:
        for e in got:
            records = lookup.records_by_address(conn, "device_id", e.token)
            if not records:
                fb.unmatched += 1
                continue
            props = {"provider": provider, "event": "push_token_invalid", "reason": e.reason}
            key = f"token|{e.token}|{e.ts}"
            fb.events.append(NewEvent(records[0], "custom", e.ts, "app_push", key, None, props))
            fb.invalidations += [
                Invalidation(r, "device_id", e.token, f"push_{e.reason}") for r in records
            ]
    return fb

"""The Segment message: fields, limits and clock-skew correction (docs/ingest.md).

Field names are the Segment spec's (``userId``, ``anonymousId``, ``messageId``,
``timestamp``, ``originalTimestamp``, ``sentAt``, ``context``, ``traits``, ``properties``,
``event``, ``name``, ``category``, ``groupId``, ``previousId``). :func:`parse` turns one
decoded message into a :class:`Message` or a :class:`Rejection` naming the first bad field
by its JSON path (``batch[3].timestamp``). The event time is corrected for the sender's
clock as Segment does: ``receivedAt - (sentAt - timestamp)`` when both are sent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from userops.cdp.ingest import validate as v
from userops.cdp.stream.context import check_context
from userops.cdp.stream.fields import Bad, Rejection, ident, iso, name, obj

MAX_EVENT_BYTES = 32 * 1024
"""Largest message (its JSON), as Segment's tracking API."""
MAX_BATCH_BYTES = 500 * 1024
"""Largest batch request body (after gzip decoding), as Segment's tracking API."""
MAX_MESSAGE_ID_CHARS = 200
MAX_REPORTED = 100
"""Rejections listed in one answer (the count covers all of them)."""
TYPES = ("track", "identify", "page", "screen", "group", "alias")


@dataclass(slots=True)
class Message:
    """A valid message, its time corrected to epoch seconds."""

    index: int | None
    type: str
    message_id: str
    user_id: str | None
    anonymous_id: str | None
    ts: int
    name: str | None = None
    """``event`` of a track, ``name`` of a page or screen."""
    properties: dict[str, Any] = field(default_factory=dict)
    traits: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    category: str | None = None
    group_id: str | None = None
    previous_id: str | None = None
    generated_id: bool = False
    """The sender gave no ``messageId`` (one was made up: a retry is not recognised)."""

    def path(self, name: str) -> str:
        """JSON path of field ``name`` of this message."""
        return name if self.index is None else f"batch[{self.index}].{name}"


def parse(
    raw: Any,
    index: int | None,
    received: float,
    *,
    sent_at: float | None = None,
    context: dict[str, Any] | None = None,
    kind: str | None = None,
) -> Message | Rejection:
    """Validate one message.

    Args:
        raw: The decoded message.
        index: Its position in a batch (None for a single-message route).
        received: When the request arrived (epoch seconds, this server's clock).
        sent_at: The batch's ``sentAt`` (a message's own wins).
        context: The batch's ``context`` (merged under the message's own).
        kind: The route's type (``/v1/track``...): the message's ``type`` may be absent.
    """
    prefix = "" if index is None else f"batch[{index}]."
    try:
        return _parse(raw, index, received, sent_at, context, kind)
    except Bad as bad:
        return Rejection(
            index, prefix + bad.field if bad.field else prefix.rstrip("."), bad.reason, bad.value
        )


def _parse(
    raw: Any,
    index: int | None,
    received: float,
    sent_at: float | None,
    base: dict[str, Any] | None,
    kind: str | None,
) -> Message:
    if type(raw) is not dict:
        raise Bad("", "a message must be a JSON object", raw)
    t = raw.get("type", kind)
    if kind is not None and t != kind:
        raise Bad("type", f"must be {kind!r} on this route (or left out)", t)
    if t not in TYPES:
        raise Bad("type", f"must be one of {', '.join(TYPES)}", t)
    user_id = ident(raw.get("userId"), "userId")
    anonymous_id = ident(raw.get("anonymousId"), "anonymousId")
    mid = raw.get("messageId")
    generated = mid is None or mid == ""
    if generated:
        mid = uuid.uuid4().hex
    elif type(mid) is not str or len(mid) > MAX_MESSAGE_ID_CHARS:
        raise Bad(
            "messageId", f"must be a string of at most {MAX_MESSAGE_ID_CHARS} characters", mid
        )
    ctx = obj(raw.get("context"), "context")
    if base:
        ctx = {**base, **ctx}
    msg = Message(index, t, mid, user_id, anonymous_id, _ts(raw, received, sent_at))
    msg.context = ctx
    msg.generated_id = generated
    if t == "alias":
        msg.previous_id = ident(raw.get("previousId"), "previousId")
        if msg.previous_id is None:
            raise Bad("previousId", "is required for alias", raw.get("previousId"))
        if user_id is None:
            raise Bad("userId", "is required for alias", raw.get("userId"))
        return msg
    if user_id is None and anonymous_id is None:
        raise Bad("userId", "userId or anonymousId is required", raw.get("userId"))
    check_context(ctx)
    if t == "track":
        msg.name = name(raw.get("event"), "event", required=True)
        msg.properties = obj(raw.get("properties"), "properties")
    elif t == "identify":  # RudderStack's libraries send the traits in context.traits
        msg.traits = {
            **obj(ctx.get("traits"), "context.traits"),
            **obj(raw.get("traits"), "traits"),
        }
    elif t == "group":
        msg.group_id = ident(raw.get("groupId"), "groupId")
        if msg.group_id is None:
            raise Bad("groupId", "is required for group", raw.get("groupId"))
        msg.traits = obj(raw.get("traits"), "traits")
    else:  # page, screen
        msg.name = name(raw.get("name"), "name")
        msg.category = name(raw.get("category"), "category")
        msg.properties = obj(raw.get("properties"), "properties")
    return msg


def sent_at_of(raw: Any, where: str = "sentAt") -> float | None:
    """A ``sentAt`` (absent: None)."""
    return None if raw is None or raw == "" else iso(raw, where)


def _ts(raw: dict[str, Any], received: float, batch_sent: float | None) -> int:
    """The event time: ``receivedAt - (sentAt - timestamp)``, or as sent, or received."""
    sent = sent_at_of(raw.get("sentAt")) if "sentAt" in raw else batch_sent
    where = "timestamp"
    stamp = raw.get("timestamp")
    if stamp is None:
        where, stamp = "originalTimestamp", raw.get("originalTimestamp")
    if stamp is None:
        ts = received
    else:
        ts = iso(stamp, where)
        if sent is not None:
            ts = received - (sent - ts)
    if not 0 <= ts < v.MAX_TS:
        raise Bad(where, "time out of range (1970..2100, after clock-skew correction)", stamp)
    return int(ts)

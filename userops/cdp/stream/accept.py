"""Decode a request body and validate every message before anything is written.

The whole request is refused (:class:`Refused`, a 400 naming the place) when the body
cannot be read: an unknown ``Content-Encoding``, broken gzip, more than the size limit once
decoded, not JSON, no ``batch`` list, a bad batch-level ``sentAt`` or ``context``. Inside a
batch, each bad message is one :class:`~.spec.Rejection` (its index and field) and the good
ones go on.

A value no store keeps (a NUL, a lone surrogate, NaN or an infinity) is refused in its own
message: the request guard leaves these routes' bodies to this check (docs/ingest.md).
orjson reads NUL escapes but refuses lone surrogates and NaN outright; such a body is read
again with the standard library's parser, so that only the message holding the value is
refused.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from userops.cdp.stream import mapping, traits
from userops.cdp.stream.context import unstorable
from userops.cdp.stream.fields import Bad, Rejection, obj
from userops.cdp.stream.spec import MAX_BATCH_BYTES, MAX_EVENT_BYTES, Message, parse, sent_at_of
from userops.text_limits import shown

NUL = b"\\u0000"
INT_RANGE = (-(2**63), 2**64 - 1)
"""The integers orjson reads as integers (and writes back); others it reads as floats."""


class Refused(Exception):
    """The request as a whole is unreadable; nothing was written."""

    def __init__(self, field: str, reason: str, value: Any = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.rejection = Rejection(None, field, reason, value)


@dataclass(slots=True)
class Accepted:
    """A valid message and what it writes."""

    msg: Message
    row: mapping.Row | None
    """The event it stores (track, page, screen, group)."""
    profile: traits.Profile | None = None
    """What an identify changes on its record."""
    consents: dict[str, str] | None = None
    """Consents of a ``Segment Consent Preference Updated`` track; the withdrawal of an
    opt-out track (``Unsubscribed``...: :data:`.mapping.OPT_OUT` with a channel)."""


class Body(NamedTuple):
    """A decoded request body."""

    raw: bytes
    """The JSON text (gzip-decoded)."""
    data: Any
    lenient: bool
    """Read by the standard library's parser: any message may hold an unstorable value."""


def decode(body: bytes, encoding: str | None, limit: int = MAX_BATCH_BYTES) -> Body:
    """The body, gzip-decoded when so declared, and its JSON value."""
    enc = (encoding or "identity").strip().lower()
    if enc == "gzip":
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflate.decompress(body, limit + 1)
        except zlib.error as exc:
            raise Refused("body", f"not valid gzip ({exc})") from None
        if len(raw) > limit or inflate.unconsumed_tail:
            raise Refused("body", f"larger than {limit // 1024} KB once decoded")
        if not inflate.eof:
            raise Refused("body", "gzip data ends early")
    elif enc == "identity":
        raw = body
    else:
        raise Refused("Content-Encoding", "must be gzip or identity", encoding)
    if len(raw) > limit:
        raise Refused("body", f"larger than {limit // 1024} KB", len(raw))
    try:
        return Body(raw, orjson.loads(raw), False)
    except orjson.JSONDecodeError as exc:
        return Body(raw, _lenient_loads(raw, exc), True)


def _lenient_loads(raw: bytes, error: Exception) -> Any:
    """JSON with lone surrogates, NaN or infinities (which orjson refuses), or Refused."""
    try:  # lone surrogates come as escapes or as their (invalid UTF-8) bytes
        return json.loads(raw.decode("utf-8", "surrogatepass"), parse_int=_int)
    except (ValueError, RecursionError):
        raise Refused("body", f"not valid JSON ({error})") from None


def _int(digits: str) -> int | float:
    """An integer as orjson reads it: a float outside 64 bits (or inf for huge literals)."""
    if len(digits) <= 21:
        value = int(digits)
        if INT_RANGE[0] <= value <= INT_RANGE[1]:
            return value
    return float(digits)


def accept_batch(
    raw: bytes, data: Any, received: float, *, lenient: bool = False
) -> tuple[list[Accepted], list[Rejection], int]:
    """Validate a ``/v1/batch`` body: (accepted, rejected, messages received).

    ``lenient``: the body was read by the standard library's parser (:class:`Body`).
    """
    if type(data) is not dict:
        raise Refused("body", 'must be a JSON object with a "batch" list', type(data).__name__)
    items = data.get("batch")
    if type(items) is not list:
        raise Refused("batch", "must be a list of messages", items)
    suspect = lenient or NUL in raw
    around = {k: v for k, v in data.items() if k != "batch"} if suspect else None
    if around and (found := unstorable(around, "")) is not None:  # it would go into every message
        raise Refused(found[0] or "body", found[1], shown(found[2]))
    try:
        sent = sent_at_of(data.get("sentAt"))
        ctx = obj(data.get("context"), "context")
    except Bad as bad:
        raise Refused(bad.field, bad.reason, bad.value) from None
    big = len(raw) > MAX_EVENT_BYTES  # no message can be larger than the body
    good: list[Accepted] = []
    bad_ones: list[Rejection] = []
    for i, item in enumerate(items):
        if suspect and (found := unstorable(item, f"batch[{i}]")) is not None:
            bad_ones.append(Rejection(i, found[0], found[1], shown(found[2])))
            continue
        if big and len(orjson.dumps(item)) > MAX_EVENT_BYTES:
            bad_ones.append(
                Rejection(i, f"batch[{i}]", f"larger than {MAX_EVENT_BYTES // 1024} KB")
            )
            continue
        got = parse(item, i, received, sent_at=sent, context=ctx)
        if isinstance(got, Rejection):
            bad_ones.append(got)
            continue
        ok = prepare(got)
        if isinstance(ok, Rejection):
            bad_ones.append(ok)
        else:
            good.append(ok)
    return good, bad_ones, len(items)


def accept_one(
    raw: bytes, data: Any, received: float, kind: str, *, lenient: bool = False
) -> Accepted:
    """Validate the body of a single-message route (``/v1/track``...); refuse it when bad."""
    if len(raw) > MAX_EVENT_BYTES:
        raise Refused("body", f"larger than {MAX_EVENT_BYTES // 1024} KB", len(raw))
    if (lenient or NUL in raw) and (found := unstorable(data, "")) is not None:
        raise Refused(found[0] or "body", found[1], shown(found[2]))
    got = parse(data, None, received, kind=kind)
    ok = got if isinstance(got, Rejection) else prepare(got)
    if isinstance(ok, Rejection):
        raise Refused(ok.field, ok.reason, ok.value)
    return ok


def prepare(msg: Message) -> Accepted | Rejection:
    """Map a valid message to what it writes, or reject it (a mapped field is invalid)."""
    try:
        row = mapping.to_row(msg)
        out = Accepted(msg, row)
        if msg.type == "identify":
            out.profile = traits.profile(msg)
        elif msg.type == "track" and msg.name == mapping.CONSENT_EVENT:
            out.consents = traits.consents(msg)
        elif row is not None and row.type == mapping.OPT_OUT and row.channel is not None:
            out.consents = {row.channel: "withdrawn"}  # an opt-out is an opt-out
    except Bad as bad:
        return Rejection(msg.index, bad.field, bad.reason, bad.value)
    return out

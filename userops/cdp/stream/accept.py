"""Decode a request body and validate every message before anything is written.

The whole request is refused (:class:`Refused`, a 400 naming the place) when the body
cannot be read: an unknown ``Content-Encoding``, broken gzip, more than the size limit once
decoded, not JSON, no ``batch`` list, a bad batch-level ``sentAt`` or ``context``. Inside a
batch, each bad message is one :class:`~.spec.Rejection` (its index and field) and the good
ones go on.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import orjson

from userops.cdp.stream import mapping, traits
from userops.cdp.stream.context import find_nul
from userops.cdp.stream.fields import Bad, Rejection, obj
from userops.cdp.stream.spec import MAX_BATCH_BYTES, MAX_EVENT_BYTES, Message, parse, sent_at_of

NUL_MSG = "must not contain a NUL character"


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
    """Consents of a ``Segment Consent Preference Updated`` track."""


def decode(body: bytes, encoding: str | None, limit: int = MAX_BATCH_BYTES) -> tuple[bytes, Any]:
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
        return raw, orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Refused("body", f"not valid JSON ({exc})") from None


def accept_batch(
    raw: bytes, data: Any, received: float
) -> tuple[list[Accepted], list[Rejection], int]:
    """Validate a ``/v1/batch`` body: (accepted, rejected, messages received)."""
    if type(data) is not dict:
        raise Refused("body", 'must be a JSON object with a "batch" list', type(data).__name__)
    items = data.get("batch")
    if type(items) is not list:
        raise Refused("batch", "must be a list of messages", items)
    try:
        sent = sent_at_of(data.get("sentAt"))
        ctx = obj(data.get("context"), "context")
    except Bad as bad:
        raise Refused(bad.field, bad.reason, bad.value) from None
    big = len(raw) > MAX_EVENT_BYTES  # no message can be larger than the body
    nul = b"\\u0000" in raw
    good: list[Accepted] = []
    bad_ones: list[Rejection] = []
    for i, item in enumerate(items):
        if big and len(orjson.dumps(item)) > MAX_EVENT_BYTES:
            bad_ones.append(
                Rejection(i, f"batch[{i}]", f"larger than {MAX_EVENT_BYTES // 1024} KB")
            )
            continue
        if nul and (where := find_nul(item, f"batch[{i}]")) is not None:
            bad_ones.append(Rejection(i, where, NUL_MSG))
            continue
        got = parse(item, i, received, sent_at=sent, context=ctx)
        if type(got) is Rejection:
            bad_ones.append(got)
            continue
        assert isinstance(got, Message)
        ok = prepare(got)
        if type(ok) is Rejection:
            bad_ones.append(ok)
        else:
            assert isinstance(ok, Accepted)
            good.append(ok)
    return good, bad_ones, len(items)


def accept_one(raw: bytes, data: Any, received: float, kind: str) -> Accepted:
    """Validate the body of a single-message route (``/v1/track``...); refuse it when bad."""
    if len(raw) > MAX_EVENT_BYTES:
        raise Refused("body", f"larger than {MAX_EVENT_BYTES // 1024} KB", len(raw))
    if b"\\u0000" in raw and (where := find_nul(data, "")) is not None:
        raise Refused(where, NUL_MSG)
    got = parse(data, None, received, kind=kind)
    ok = got if type(got) is Rejection else prepare(got)  # type: ignore[arg-type]
    if type(ok) is Rejection:
        raise Refused(ok.field, ok.reason, ok.value)
    assert isinstance(ok, Accepted)
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
    except Bad as bad:
        return Rejection(msg.index, bad.field, bad.reason, bad.value)
    return out

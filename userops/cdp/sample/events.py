"""Columnar blocks of generated events and their conversion to insertable rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from userops.cdp.sample.np import F64, I64, OBJ, Columns
from userops.cdp.sample.people import Persons
from userops.cdp.sample.records import Records
from userops.domain import CHANNELS, EVENT_TYPES

EVENT_COLUMNS = (
    "user_id", "type", "ts", "channel", "amount", "quantity", "campaign_id", "properties", "text",
)  # fmt: skip
"""Columns written for every event (``id`` and ``dedupe_key`` are left to the store)."""
_TYPES = np.array(EVENT_TYPES, dtype=object)
_CHANNELS = np.array([*CHANNELS, None], dtype=object)  # index -1 -> None


def type_code(name: str) -> int:
    """Index of an event type in ``EVENT_TYPES``."""
    return EVENT_TYPES.index(name)


def nones(n: int) -> OBJ:
    """An object array of ``n`` Nones."""
    return np.full(n, None, dtype=object)


@dataclass
class EventBlock:
    """Events as parallel columns; ``record`` is the local index of the user record."""

    record: I64
    """Local index of the record the event belongs to."""
    ts: I64
    """Epoch seconds."""
    type: I64
    """Index into ``EVENT_TYPES``."""
    channel: I64
    """Index into ``CHANNELS``; -1 for none."""
    amount: F64
    """NaN for none."""
    quantity: I64
    """-1 for none."""
    campaign: OBJ
    """Campaign id or None."""
    props: OBJ
    """JSON text or None."""
    text: OBJ
    """Untrusted free text or None."""

    @classmethod
    def simple(cls, record: I64, ts: I64, etype: int | I64, props: OBJ | None = None) -> EventBlock:
        """A block with only record, time, type and (optionally) properties."""
        n = len(record)
        return cls(
            record=record,
            ts=ts,
            type=np.broadcast_to(np.asarray(etype, dtype=np.int64), (n,)).copy(),
            channel=np.full(n, -1, dtype=np.int64),
            amount=np.full(n, np.nan),
            quantity=np.full(n, -1, dtype=np.int64),
            campaign=nones(n),
            props=props if props is not None else nones(n),
            text=nones(n),
        )

    def __len__(self) -> int:
        return len(self.ts)


def concat(blocks: list[EventBlock]) -> EventBlock:
    """Concatenate blocks column by column."""
    return EventBlock(
        **{
            f: np.concatenate([getattr(b, f) for b in blocks])
            for f in EventBlock.__dataclass_fields__
        }
    )


def pick_records(
    rng: np.random.Generator, recs: Records, person: I64, ts: I64, share: float = 0.5
) -> I64:
    """Attribute events to a record: the second one (once it exists) for ``share`` of them."""
    sec = recs.sec[person]
    has = sec >= 0
    later = ts >= recs.created_ts[np.where(has, sec, 0)]
    use = has & later & (rng.random(len(person)) < share)
    return np.where(use, sec, recs.prim[person])


def record_offsets(ps: Persons, recs: Records) -> I64:
    """UTC offset (seconds) of each record's person."""
    return ps.offset_s[recs.person]


def _nullable(values: npt.NDArray[Any], missing: npt.NDArray[np.bool_]) -> list[Any]:
    out = values.astype(object)
    out[missing] = None
    return out.tolist()  # type: ignore[no-any-return]


def event_rows(block: EventBlock, recs: Records) -> Columns:
    """Sort a block by (user, time) and return its columns (``EVENT_COLUMNS``)."""
    user = recs.ids[block.record]
    order = np.lexsort((block.ts, user))
    b = EventBlock(**{f: getattr(block, f)[order] for f in EventBlock.__dataclass_fields__})
    amount = np.round(b.amount, 2)
    return [
        user[order].tolist(),
        _TYPES[b.type].tolist(),
        b.ts.tolist(),
        _CHANNELS[b.channel].tolist(),
        _nullable(amount, np.isnan(amount)),
        _nullable(b.quantity, b.quantity < 0),
        b.campaign.tolist(),
        b.props.tolist(),
        b.text.tolist(),
    ]

"""Send results that say an address is gone: cleared as the provider's callback clears it.

A provider can answer a send with "this address no longer exists" (FCM's 404
``UNREGISTERED``: :attr:`~userops.dispatch.adapters.base.SendResult.gone`) as well as report
it later by callback. Both go through the one feedback writer
(:func:`~userops.dispatch.feedback.record.record_feedback`): every record holding the address
(:func:`~userops.dispatch.feedback.lookup.records_by_address`, as the push callback finds
them) loses it, from the record and its identity rows, audited as ``contact.invalidated``
with actor ``feedback:send:<channel>`` and the value hashed. The gate then finds the user
``unreachable`` on that channel until a new address arrives.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from userops.dispatch.adapters.base import OutgoingMessage, SendResult
from userops.dispatch.feedback.items import Feedback, Invalidation, Recorded
from userops.dispatch.feedback.lookup import records_by_address
from userops.dispatch.feedback.record import CONTACT_COLUMNS, record_feedback


def clear_gone(
    engine: Engine, channel: str, failed: Sequence[tuple[OutgoingMessage, SendResult]]
) -> Recorded | None:
    """Clear the addresses that ``failed`` results mark gone; None when none is marked."""
    fb = Feedback(f"send:{channel}")
    with engine.connect() as conn:
        for m, res in failed:
            kind = res.gone
            value = m.address.get(kind) if kind in CONTACT_COLUMNS else None
            if res.ok or kind is None or not value:
                continue
            records = records_by_address(conn, kind, value) or [m.user_id]
            reason = (res.error or "gone")[:60]
            fb.invalidations += [Invalidation(u, kind, value, reason) for u in records]
    return record_feedback(engine, fb) if fb.invalidations else None

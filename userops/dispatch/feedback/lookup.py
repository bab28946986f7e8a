"""Find who a provider's feedback is about: records by address, messages by provider id.

Addresses are looked up in ``identities`` (indexed by kind and value; imports, the seed and
real-time ingestion write one row per address); only when no identity matches are the user
records' own columns read (records written without identity rows).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from userops.dispatch.adapters._http import dedupe_id
from userops.dispatch.feedback.record import CONTACT_COLUMNS
from userops.store.models import Identity, Outbox, User


def records_by_address(conn: Connection, kind: str, value: str) -> list[int]:
    """User records holding address ``value`` of ``kind`` (phone, email, device_id)."""
    q = select(Identity.user_id).where(Identity.kind == kind, Identity.value == value)
    found = {int(u) for u in conn.execute(q).scalars()}
    if not found:
        col = CONTACT_COLUMNS[kind]
        found = {int(u) for u in conn.execute(select(User.id).where(col == value)).scalars()}
    return sorted(found)


def sent_message(
    conn: Connection, users: Sequence[int], channel: str, out_id: str, biz_id: str
) -> tuple[int, str] | None:
    """``(user, campaign)`` of one of our messages to ``users`` on ``channel``.

    Found by ``biz_id`` (the provider's message id, kept as ``provider_message_id``) or by
    ``out_id`` (:func:`dedupe_id` of our idempotency key).
    """
    if not users or not (out_id or biz_id):
        return None
    q = select(
        Outbox.idempotency_key, Outbox.provider_message_id, Outbox.user_id, Outbox.campaign_id
    ).where(Outbox.user_id.in_(list(users)), Outbox.channel == channel)
    for key, provider_id, uid, campaign in conn.execute(q):
        if (biz_id and provider_id == biz_id) or (out_id and dedupe_id(key) == out_id):
            return int(uid), str(campaign)
    return None


def last_campaign(conn: Connection, users: Sequence[int], channel: str) -> str | None:
    """The campaign of the last message sent to ``users`` on ``channel`` (None: none sent)."""
    if not users:
        return None
    q = (
        select(Outbox.campaign_id)
        .where(
            Outbox.user_id.in_(list(users)),
            Outbox.channel == channel,
            Outbox.state == "sent",
        )
        .order_by(Outbox.sent_ts.desc(), Outbox.id.desc())
        .limit(1)
    )
    found = conn.execute(q).scalar()
    return None if found is None else str(found)

"""Build a small store with one campaign whose outbox is exactly what a test wants."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from userops.store.models import (
    Approval,
    Campaign,
    CampaignMember,
    Consent,
    Delivery,
    Outbox,
    User,
)

CID = "c-test"
THREAD = "t-test"
APPROVED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
"""Approval decision time: 10:00 in Asia/Shanghai."""
T0 = int(APPROVED.timestamp())


def build(engine: Engine, sends: list[dict[str, Any]], *, approved: bool = True) -> None:
    """Users 1..4 (4 is do-not-contact, 3 has withdrawn sms consent), one approved step s1.

    ``sends``: dicts with ``user_id``, ``channel`` and optional ``sent_ts``, ``step_id``,
    ``cost``, ``body``, ``arm``.
    """
    with Session(engine) as s:
        for uid, tz in (
            (1, "Asia/Shanghai"),
            (2, "Europe/London"),
            (3, "Asia/Shanghai"),
            (4, "UTC"),
        ):
            s.add(
                User(
                    id=uid,
                    external_id=f"u{uid}",
                    timezone=tz,
                    language="en",
                    created_ts=T0 - 86400 * 100,
                    do_not_contact=uid == 4,
                )
            )
        s.flush()
        for uid in (1, 2, 3, 4):
            status = "withdrawn" if uid == 3 else "granted"
            s.add(Consent(user_id=uid, channel="sms", status=status, ts=T0 - 86400))
            s.add(Consent(user_id=uid, channel="email", status="granted", ts=T0 - 86400))
        s.add(Campaign(id=CID, thread_id=THREAD, name="test", language="en", status="completed"))
        s.flush()
        s.add(
            Approval(
                id=f"{CID}-r1-s0",
                campaign_id=CID,
                thread_id=THREAD,
                revision=1,
                status="approved" if approved else "pending",
                card={"step_id": "s1"},
                decided_by="ana" if approved else None,
                decided_at=APPROVED if approved else None,
            )
        )
        for i, m in enumerate(sends):
            ts = int(m.get("sent_ts", T0 + 3600))
            step = m.get("step_id", "s1")
            s.add(
                CampaignMember(
                    campaign_id=CID,
                    step_id=step,
                    user_id=m["user_id"],
                    arm=m.get("arm", "treatment"),
                    assigned_ts=ts,
                )
            )
            key = f"k{i}"
            s.add(
                Outbox(
                    idempotency_key=key,
                    campaign_id=CID,
                    step_id=step,
                    user_id=m["user_id"],
                    channel=m["channel"],
                    state="sent",
                    sent_ts=ts,
                    created_ts=ts,
                    cost=m.get("cost", 0.05),
                    content={"ref": "x"},
                )
            )
            s.add(
                Delivery(
                    idempotency_key=key,
                    channel=m["channel"],
                    user_id=m["user_id"],
                    campaign_id=CID,
                    ts=ts,
                    payload={"body": m.get("body", "Hello, come back")},
                )
            )
        s.commit()

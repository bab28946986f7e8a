"""The independent policy audit of the loop report catches what the engine must never do."""

from __future__ import annotations

from sqlalchemy import Engine, insert, text

from agents.nodes.report import policy_violations
from userops.store.models import Campaign, CampaignMember, Consent, Outbox, User


def _sent(conn, uid: int, channel: str = "sms", ts: int = 1000, marketing: bool = True) -> None:
    conn.execute(
        insert(Outbox.__table__).values(
            idempotency_key=f"k{uid}{channel}",
            campaign_id="c",
            step_id="s1",
            user_id=uid,
            channel=channel,
            state="sent",
            sent_ts=ts,
            created_ts=ts,
            marketing=marketing,
        )
    )


def test_audit_counts_each_kind_of_violation(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn:
        conn.execute(
            insert(User.__table__),
            [
                {"id": i, "external_id": f"u{i}", "created_ts": 0, "do_not_contact": i == 2}
                for i in range(1, 8)
            ],
        )
        conn.execute(text("UPDATE users SET merged_into = 6 WHERE id = 7"))
        conn.execute(insert(Campaign.__table__).values(id="c", name="c"))
        conn.execute(
            insert(Consent.__table__),
            [{"user_id": i, "channel": "sms", "status": "granted", "ts": 10} for i in (1, 2, 3, 6)]
            + [
                {"user_id": 4, "channel": "sms", "status": "withdrawn", "ts": 500},  # before send
                {
                    "user_id": 5,
                    "channel": "sms",
                    "status": "withdrawn",
                    "ts": 5000,
                },  # opt-out after
                {"user_id": 7, "channel": "sms", "status": "withdrawn", "ts": 5},  # older, merged
            ],
        )
        conn.execute(
            insert(CampaignMember.__table__).values(
                campaign_id="c", step_id="s1", user_id=3, arm="holdout", assigned_ts=0
            )
        )
        for uid in (1, 2, 3, 4, 5, 6):
            _sent(conn, uid)
        _sent(conn, 1, channel="email")  # no email consent at all
        _sent(conn, 1, channel="app_push", marketing=False)  # transactional, no withdrawal
    # violations: DNC user 2, holdout user 3, withdrawn user 4, user 1 on email
    assert policy_violations(sqlite_engine, "c") == 4
    assert policy_violations(sqlite_engine, None) == 0

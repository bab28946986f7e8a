"""A small hand-made store for segment tests (the same rows on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert

from userops.store.models import Campaign, CampaignMember, Event, Trait, User

AS_OF = 1_780_000_000
DAY = 86_400

PHONE = "13812345678"
EMAIL = "mei.li@example.com"
OPENID = "o" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n"

# user_id: (stage, tier, reachable, interests, dslo, churn, ltv, region, preferred, summary)
TRAITS: dict[int, tuple[Any, ...]] = {
    1: (
        "churn_risk",
        "high",
        ",sms,email,",
        ",skincare,coffee,",
        90,
        0.8,
        500.0,
        "Shanghai",
        "sms",
        f"Skincare buyer, call {PHONE}",
    ),
    2: (
        "mature",
        "mid",
        ",app_push,",
        ",coffee,",
        10,
        0.1,
        300.0,
        "Beijing",
        "app_push",
        f"Coffee lover, write to {EMAIL}",
    ),
    3: ("new", "low", "", "", None, 0.5, 20.0, None, None, None),
    4: (
        "churned",
        "low",
        ",sms,",
        ",Tea_Leaves,",
        400,
        0.95,
        50.0,
        "Shanghai",
        "sms",
        f"Lapsed tea buyer {OPENID}",
    ),
    5: ("mature", "high", ",sms,", ",skincare,", 5, 0.2, 900.0, "Shanghai", "sms", "stale"),
    6: (
        "reactivated",
        "high",
        ",wechat_template,sms,",
        ",skincare,",
        30,
        0.3,
        800.0,
        "Guangzhou",
        "wechat_template",
        "Came back after a coupon",
    ),
}
CANONICAL = [1, 2, 3, 4, 6]
"""Record 5 was merged into 1 after the build: its stale trait row must never match."""


def _event(uid: int, type_: str, days_ago: float, **kw: Any) -> dict[str, Any]:
    row = {
        "user_id": uid,
        "type": type_,
        "ts": int(AS_OF - days_ago * DAY),
        "channel": None,
        "amount": None,
        "quantity": None,
        "campaign_id": None,
        "properties": None,
    }
    row.update(kw)
    return row


def _events() -> list[dict[str, Any]]:
    refill = {"page": "refill", "category": "skincare"}
    return [
        # record 5 (merged into 1) viewed refill twice this week: counts for user 1
        _event(5, "page_view", 1, properties=refill),
        _event(5, "page_view", 2, properties=refill),
        # user 2 viewed twice and ordered
        _event(2, "page_view", 1, properties=refill),
        _event(2, "page_view", 3, properties=refill),
        _event(2, "order", 2, amount=120.0, quantity=2, properties={"source": "app"}),
        # user 4 viewed once
        _event(4, "page_view", 1, properties=refill),
        # user 6 viewed three times, but 20 days ago; ordered 10 days ago, cheaply, on the web
        *[_event(6, "page_view", 20, properties=refill) for _ in range(3)],
        _event(6, "order", 10, amount=30.0, quantity=1, properties={"source": "web"}),
        _event(1, "order", 90, amount=500.0, quantity=5, properties={"source": "app"}),
        _event(1, "message_clicked", 3, channel="sms", campaign_id="c-old"),
        # a future event (after the as-of time) never counts in within_days
        _event(3, "page_view", -1, properties=refill),
        _event(3, "page_view", -2, properties=refill),
    ]


def load(engine: Engine, *, with_campaign: bool = True) -> int:
    """Insert the fixture; return the as-of time of the trait build."""
    users = [
        {
            "id": i,
            "external_id": f"u{i}",
            "created_ts": AS_OF - 400 * DAY,
            "merged_into": 1 if i == 5 else None,
        }
        for i in TRAITS
    ]
    traits = []
    for uid, (
        stage,
        tier,
        reach,
        interests,
        dslo,
        churn,
        ltv,
        region,
        pref,
        summary,
    ) in TRAITS.items():
        traits.append(
            {
                "user_id": uid,
                "as_of_ts": AS_OF,
                "language": "zh",
                "region": region,
                "timezone": "Asia/Shanghai",
                "days_since_signup": 400,
                "lifecycle_stage": stage,
                "days_since_last_order": dslo,
                "orders_90d": 1,
                "orders_total": 3,
                "monetary_365d": ltv / 2,
                "aov": 40.0,
                "rfm_segment": "loyal",
                "p_alive": 1 - churn,
                "expected_orders_90d": 1.0,
                "ltv_12m": ltv,
                "ltv_tier": tier,
                "churn_risk": churn,
                "preferred_channel": pref,
                "reachable_channels": reach,
                "interests": interests,
                "price_sensitivity": 0.5,
                "content_affinity": "offer",
                "contacts_7d": uid % 3,
                "last_contacted_ts": AS_OF - uid * DAY,
                "satisfaction": None,
                "summary": summary,
            }
        )
    with engine.begin() as conn:
        conn.execute(
            insert(User), [{k: v for k, v in u.items() if k != "merged_into"} for u in users]
        )
        conn.execute(User.__table__.update().where(User.__table__.c.id == 5).values(merged_into=1))
        conn.execute(insert(Trait), traits)
        conn.execute(insert(Event), _events())
        if with_campaign:
            now = datetime.now(UTC)
            conn.execute(
                insert(Campaign),
                [
                    {
                        "id": "c-run",
                        "name": "Winback",
                        "status": "running",
                        "created_at": now,
                        "updated_at": now,
                    },
                    {
                        "id": "c-draft",
                        "name": "Draft",
                        "status": "draft",
                        "created_at": now,
                        "updated_at": now,
                    },
                ],
            )
            conn.execute(
                insert(CampaignMember),
                [
                    {
                        "campaign_id": c,
                        "step_id": "s1",
                        "user_id": u,
                        "arm": "treatment",
                        "assigned_ts": AS_OF,
                    }
                    for c, u in (("c-run", 1), ("c-run", 4), ("c-run", 2), ("c-draft", 1))
                ],
            )
    return AS_OF

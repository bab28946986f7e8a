"""The web pages' queries on both stores: threads, inbox, results per day, channel, variant."""

from __future__ import annotations

import time

from sqlalchemy import Engine, insert

from tests.agents.loop_doubles import seed_users
from tests.journeys.support import spec as journey_spec
from userops.api.web_data import results
from userops.api.web_data.inbox import approvals_page, journey_versions
from userops.api.web_data.threads import list_threads
from userops.journeys.records import create_journey
from userops.journeys.spec import JourneySpec
from userops.store.models import Approval, AuditLog, Campaign, CampaignMember, Event, Outbox, utcnow

DAY = 86400


def _fill(engine: Engine, now: int) -> None:
    seed_users(engine, 6)
    card = {
        "plan": {"name": "Spring win-back", "budget": 50},
        "audience_size": 6,
        "contract": {"max_messages": 4, "max_cost": 0.2, "by_channel": [{"channel": "sms"}]},
        "understood": {"text": "召回上海的会员"},
    }
    members = [
        (u, "treatment" if u <= 4 else "holdout", "a" if u <= 2 else "b") for u in range(1, 7)
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(Campaign), [{"id": "c1", "name": "Spring win-back", "created_by": "olivia"}]
        )
        conn.execute(
            insert(Approval),
            [
                {
                    "id": "c1-r1-s0",
                    "campaign_id": "c1",
                    "thread_id": "t1",
                    "revision": 1,
                    "risk_tier": "low",
                    "card": card,
                    "requested_by": "olivia",
                },
            ],
        )
        conn.execute(
            insert(AuditLog),
            [
                {
                    "at": utcnow(),
                    "actor": who,
                    "action": "thread.message",
                    "entity_type": "thread",
                    "entity_id": tid,
                    "detail": {"text": text},
                }
                for who, tid, text in (
                    ("olivia", "t1", "召回上海的会员"),
                    ("olivia", "t1", "只发短信"),
                    ("oscar", "t2", "hello"),
                )
            ],
        )
        conn.execute(
            insert(CampaignMember),
            [
                {
                    "campaign_id": "c1",
                    "step_id": "s1",
                    "user_id": u,
                    "arm": arm,
                    "variant": v if arm == "treatment" else None,
                    "channel": "sms" if arm == "treatment" else None,
                    "assigned_ts": now - 3 * DAY,
                }
                for u, arm, v in members
            ],
        )
        conn.execute(
            insert(Outbox),
            [
                {
                    "idempotency_key": f"c1|s1|{u}|sms",
                    "campaign_id": c,
                    "step_id": "s1",
                    "user_id": u,
                    "channel": "sms",
                    "state": "sent",
                    "sent_ts": now - d * DAY,
                    "cost": 0.05,
                    "created_ts": now - d * DAY,
                }
                for u, c, d in ((1, "c1", 3), (2, "c1", 3), (3, "c1", 2), (4, "j-x-v1", 0))
            ],
        )
        conn.execute(
            insert(Event),
            [
                {"user_id": 1, "type": "order", "ts": now - 2 * DAY, "amount": 10.0},
                {"user_id": 5, "type": "order", "ts": now - DAY, "amount": 10.0},
            ],
        )
    create_journey(engine, JourneySpec.model_validate(journey_spec()), actor="olivia")


def test_web_queries_on_both_stores(any_engine: Engine) -> None:
    now = int(time.time())
    _fill(any_engine, now)
    mine = list_threads(any_engine, "olivia")
    assert [(t["thread_id"], t["messages"], t["first"]) for t in mine] == [
        ("t1", 2, "召回上海的会员")
    ]
    assert {t["thread_id"] for t in list_threads(any_engine, None)} == {"t1", "t2"}

    [item] = approvals_page(any_engine, q="上海")
    assert (item["title"], item["audience"], item["max_cost"], item["channels"]) == (
        "Spring win-back",
        6,
        0.2,
        ["sms"],
    )
    assert (
        approvals_page(any_engine, risk="high") == [] and approvals_page(any_engine, q="nope") == []
    )
    [journey] = journey_versions(any_engine)
    assert journey["title"] == "welcome" and journey["channels"] == ["sms"]

    daily = results.daily_sends(any_engine, days=5, now=now)
    assert sum(daily["by_source"]["campaign"]) == 3 and sum(daily["by_source"]["journey"]) == 1
    assert daily["by_channel"]["sms"][-4] == 2  # two sent three days ago
    [sms] = results.by_channel(any_engine, "c1")
    assert sms["total"] == 3 and abs(sms["cost"] - 0.15) < 1e-9
    rows = {(r["arm"], r["variant"]): (r["n"], r["k"]) for r in
            results.by_variant(any_engine, "c1", metric="conversion_rate")}  # fmt: skip
    assert rows == {
        ("treatment", "a"): (2, 1),
        ("treatment", "b"): (2, 0),
        ("holdout", "—"): (2, 1),
    }
    series = results.kpi_series(any_engine, "c1", metric="conversion_rate", days=3)
    assert series[0]["treatment"]["k"] == 0 and series[-1]["treatment"]["k"] == 1
    assert series[-1]["holdout"]["n"] == 2 and 0 <= series[-1]["holdout"]["lo"] <= 0.5
    [c] = results.campaigns(any_engine)
    assert (c["id"], c["n"]) == ("c1", 3)

"""Traits on tiny hand-made stores (both backends) and the vectorized trait rules."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, insert, text

from userops.cdp.traits import rules
from userops.cdp.traits.build import build_profiles, newest_event_day
from userops.store.models import Consent, Event, User

AS_OF = date(2024, 6, 30)
D = (AS_OF - date(1970, 1, 1)).days  # the as-of day number
NOON = 12 * 3600


def ts(days_ago: int) -> int:
    """Epoch seconds at noon UTC ``days_ago`` days before the as-of day."""
    return (D - days_ago) * 86400 + NOON


def user(uid: int, created_days_ago: int, **kw: Any) -> dict[str, Any]:
    base = {"id": uid, "external_id": f"t:{uid}", "created_ts": ts(created_days_ago)}
    base.update({"timezone": "Asia/Shanghai", "language": "zh", "do_not_contact": False})
    base.update({k: None for k in ("phone", "email", "device_id", "wechat_openid", "merged_into")})
    base.update(kw)
    return base


def ev(uid: int, kind: str, days_ago: int, **kw: Any) -> dict[str, Any]:
    base = {"user_id": uid, "type": kind, "ts": ts(days_ago), "amount": None, "channel": None}
    base.update({"properties": None, "quantity": None, "text": None})
    base.update(kw)
    return base


def order(uid: int, days_ago: int, amount: float, cats: list[str], discount: float = 0.0) -> Any:
    items = [{"sku": c, "name": c, "category": c, "price": 1.0, "qty": 1} for c in cats]
    props = {"items": items, "discount": discount, "source": "app"}
    return ev(uid, "order", days_ago, amount=amount, quantity=1, properties=props)


def seed_store(engine: Engine) -> None:
    users = [
        user(1, 500, phone="+8613800000001"),  # survivor
        user(2, 400, device_id="dev-2", merged_into=1),  # merged into 1
        user(3, 10),  # new
        user(4, 300),  # never ordered, long ago
        user(5, 100),  # never ordered
        user(6, 600),  # reactivated
        user(7, 50, phone="+8613800000007", do_not_contact=True),
    ]
    events = [
        order(1, 20, 10.0, ["coffee"], discount=0.2),
        order(2, 10, 30.0, ["coffee", "tea"]),
        order(1, -3, 99.0, ["wine"]),  # after the as-of day: ignored
        order(3, 5, 12.0, ["tea"]),
        order(6, 400, 20.0, ["tea"]),
        order(6, 5, 25.0, ["tea"]),
        ev(1, "message_delivered", 2, channel="sms"),
        ev(1, "message_delivered", 10, channel="sms"),
        ev(1, "message_opened", 9, channel="sms"),
        ev(2, "message_opened", 8, channel="app_push"),
        ev(1, "message_opened", 7, channel="app_push"),
        ev(1, "message_clicked", 7, channel="app_push", properties={"content_type": "offer"}),
        ev(2, "page_view", 6, properties={"content_type": "tutorial", "category": "tea"}),
        ev(1, "feedback", 3, properties={"rating": 4, "topic": "praise"}, text="好"),
        ev(2, "survey", 3, properties={"rating": 2, "topic": "price"}),
        ev(1, "feedback", -2, properties={"rating": 1, "topic": "other"}),
    ]
    consents = [
        {"user_id": 2, "channel": "sms", "status": "granted", "ts": ts(30)},
        {"user_id": 2, "channel": "app_push", "status": "granted", "ts": ts(30)},
        {"user_id": 1, "channel": "email", "status": "granted", "ts": ts(30)},
        {"user_id": 1, "channel": "wechat_template", "status": "withdrawn", "ts": ts(30)},
        {"user_id": 7, "channel": "sms", "status": "granted", "ts": ts(30)},
    ]
    with engine.begin() as conn:
        conn.execute(insert(User), [u for u in users if u["merged_into"] is None])
        conn.execute(insert(User), [u for u in users if u["merged_into"] is not None])
        conn.execute(insert(Event), events)
        conn.execute(insert(Consent), consents)


def traits_by_user(engine: Engine) -> dict[int, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM traits")).mappings().all()
    return {r["user_id"]: dict(r) for r in rows}


def test_small_store_traits(any_engine: Engine) -> None:
    seed_store(any_engine)
    result = build_profiles(any_engine, as_of=AS_OF)
    t = traits_by_user(any_engine)
    assert result.users == 6 and set(t) == {1, 3, 4, 5, 6, 7}  # merged record 2 has no row
    s = t[1]
    assert (s["orders_total"], s["orders_90d"], s["days_since_last_order"]) == (2, 2, 10)
    assert (s["monetary_365d"], s["aov"]) == (40.0, 20.0)
    assert s["interests"] == ",coffee,tea,"
    assert s["price_sensitivity"] == pytest.approx(0.6 * 0.5 + 0.4 * (0.1 / 0.3), abs=1e-3)
    assert s["reachable_channels"] == ",sms,app_push,"  # email: consent but no address
    assert s["preferred_channel"] == "app_push"  # 2 opens + 1 click vs 1 open
    assert s["content_affinity"] == "offer"  # click (+ a discounted order) beats page view
    assert t[4]["content_affinity"] is None  # no content event, no order: no evidence
    assert (s["contacts_7d"], s["last_contacted_ts"]) == (1, ts(2))
    assert s["satisfaction"] == pytest.approx(3.0)
    assert s["days_since_signup"] == 500
    assert 0.0 <= s["p_alive"] <= 1.0 and s["churn_risk"] == pytest.approx(1 - s["p_alive"])
    assert t[7]["reachable_channels"] == ""  # do not contact
    stages = {uid: row["lifecycle_stage"] for uid, row in t.items()}
    assert stages[3] == "new" and stages[4] == "churned" and stages[5] == "churn_risk"
    assert stages[6] == "reactivated"
    assert t[4]["days_since_last_order"] is None and t[4]["orders_total"] == 0
    assert sum(result.params["lifecycle"].values()) == 6


def test_rebuild_keeps_summaries_and_drops_newly_merged(any_engine: Engine) -> None:
    seed_store(any_engine)
    build_profiles(any_engine, as_of=AS_OF)
    with any_engine.begin() as conn:
        conn.execute(
            text("UPDATE traits SET summary = 's', summary_hash = 'h', indexed_hash = 'h'")
        )
        conn.execute(text("UPDATE users SET merged_into = 3 WHERE id = 5"))
    build_profiles(any_engine, as_of=AS_OF)
    t = traits_by_user(any_engine)
    assert 5 not in t
    assert all(
        (r["summary"], r["summary_hash"], r["indexed_hash"]) == ("s", "h", "h") for r in t.values()
    )


def test_lifecycle_rules_first_match_wins() -> None:
    signup = np.array([10, 10, 400, 400, 400, 400, 400, 400, 400])
    orders = np.array([1, 3, 2, 9, 9, 9, 9, 2, 2])
    recency = np.array([5, 5, 5, 5, 200, 90, 5, 5, 5])
    alive = np.array([0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.1, 0.4, 0.9])
    react = np.array([False, False, True, False, False, False, False, False, False])
    got = rules.lifecycle_stage(signup, orders, recency, alive, react).tolist()
    assert got == [
        "new",
        "growing",  # young but 3 orders: not new
        "reactivated",
        "mature",
        "churned",  # no order in 200 days
        "churn_risk",  # 90 days
        "churned",  # p_alive < 0.2
        "churn_risk",  # p_alive < 0.5
        "growing",
    ]


def test_rfm_and_ltv_tier() -> None:
    n = 10
    recency = np.arange(n, dtype=float) * 40  # 0, 40, ... 360 days
    orders = np.array([9, 8, 1, 6, 2, 6, 5, 1, 1, 0], dtype=float)
    money = orders * 10
    signup = np.full(n, 400.0)
    seg = rules.rfm_segment(recency, orders, money, signup).tolist()
    assert seg[0] == "champions" and seg[2] == "new"
    assert seg[9] == "hibernating"  # never ordered, old signup
    assert seg[8] == "lost"
    assert set(seg) <= {"champions", "loyal", "potential", "new", "at_risk", "hibernating", "lost"}
    ltv = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    tiers = rules.ltv_tier(ltv, ltv > 0).tolist()
    assert tiers == ["low", "low", "low", "mid", "mid", "high", "high"]


def test_build_on_seeded_population_uses_the_vocabulary(sqlite_engine: Engine) -> None:
    seed = pytest.importorskip("userops.cdp.sample.population")
    seed.seed_population(sqlite_engine, users=300, seed=5, language="en")
    result = build_profiles(sqlite_engine, as_of=AS_OF)
    with sqlite_engine.connect() as conn:
        canonical = conn.execute(
            text("SELECT count(*) FROM users WHERE merged_into IS NULL")
        ).scalar_one()
    assert result.users == canonical
    t = traits_by_user(sqlite_engine)
    stages = {"new", "growing", "mature", "churn_risk", "churned", "reactivated"}
    channels = {"sms", "app_push", "email", "wechat_template", "wecom", "miniprogram", "voice_call"}
    for row in t.values():
        assert row["lifecycle_stage"] in stages
        assert row["ltv_tier"] in {"high", "mid", "low"}
        assert 0.0 <= row["p_alive"] <= 1.0 and 0.0 <= row["price_sensitivity"] <= 1.0
        listed = row["reachable_channels"]
        assert listed == "" or (
            listed[0] == listed[-1] == "," and set(listed[1:-1].split(",")) <= channels
        )


def test_default_as_of_is_the_newest_event_day_not_the_clock(any_engine: Engine) -> None:
    assert newest_event_day(any_engine) is None  # empty store: build_profiles falls back to today
    seed_store(any_engine)
    far_future = (date(2100, 1, 1) - date(1970, 1, 1)).days * 86400
    with any_engine.begin() as conn:
        conn.execute(insert(Event), [ev(3, "visit", 0, ts=far_future)])  # after today: ignored
    result = build_profiles(any_engine)
    assert result.as_of == newest_event_day(any_engine) == date(2024, 7, 3)  # order(1, -3, ...)
    assert traits_by_user(any_engine)[1]["days_since_last_order"] == 0


def test_content_affinity_rule() -> None:
    ct = rules.CONTENT_TYPES
    scores = np.zeros((5, len(ct)))
    scores[0, ct.index("social")] = rules.CONTENT_WEIGHTS["page_view"]
    scores[1, ct.index("tutorial")] = rules.CONTENT_WEIGHTS["message_opened"]  # open, no click
    has = np.array([True, True, False, False, False])
    orders = np.array([0.0, 0.0, 4.0, 4.0, 0.0])
    discounted = np.array([0.0, 0.0, 3.0, 0.0, 0.0])
    got = rules.content_affinity(scores, has, orders, discounted)
    assert got[0] == "social"
    assert got[1] not in (None, "tutorial")  # the open without a click counts against tutorial
    assert got[2] == "offer"  # mostly discounted orders
    assert got[3] not in (None, "offer")  # only full-price orders
    assert got[4] is None  # no evidence at all

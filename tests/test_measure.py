"""Measurement: Wilson / Newcombe intervals, KPI per arm from members and events, write-back."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, insert, text

from userops.measure import ArmStats, diff_ci, measure_campaign, wilson, write_back
from userops.store.models import Campaign, CampaignMember, Event, Outbox, Trait, User


def test_wilson_matches_published_value() -> None:
    lo, hi = wilson(10, 100)
    assert lo == pytest.approx(0.0552, abs=1e-4) and hi == pytest.approx(0.1744, abs=1e-4)


def test_newcombe_matches_published_example() -> None:
    # Newcombe (1998), Stat Med 17:873, example (a): 56/70 vs 48/80 -> 0.0524 to 0.3339.
    lo, hi = diff_ci(ArmStats("s", "a", 70, 56), ArmStats("s", "b", 80, 48))
    assert lo == pytest.approx(0.0524, abs=1e-4) and hi == pytest.approx(0.3339, abs=1e-4)


def _campaign(engine: Engine) -> int:
    now = int(time.time())
    with engine.begin() as conn:
        conn.execute(
            insert(User.__table__),
            [
                {"id": i, "external_id": f"u{i}", "created_ts": now, "attributes": {"persona": "x"}}
                for i in range(1, 41)
            ],
        )
        # user 41 is a merged record of user 1: its orders count for user 1
        conn.execute(
            insert(User.__table__).values(id=41, external_id="u41", created_ts=now, merged_into=1)
        )
        conn.execute(insert(Campaign.__table__).values(id="c1", name="c"))
        rows = []
        for i in range(1, 41):
            step, arm = ("s1", "holdout") if i <= 10 else ("s1", "treatment")
            if i > 30:
                step = "s1b"
            rows.append(
                {"campaign_id": "c1", "step_id": step, "user_id": i, "arm": arm, "assigned_ts": now}
            )
        conn.execute(insert(CampaignMember.__table__), rows)
        ev = [{"user_id": 41, "type": "order", "ts": now + 10}]  # holdout user 1 via merge
        ev += [{"user_id": i, "type": "order", "ts": now + 10} for i in range(11, 21)]  # 10/20
        ev += [
            {"user_id": i, "type": "message_converted", "ts": now + 5, "campaign_id": "c1"}
            for i in range(31, 34)
        ]  # blast 3/10
        ev += [{"user_id": 2, "type": "order", "ts": now - 10}]  # before assignment: ignored
        ev += [{"user_id": 3, "type": "order", "ts": now + 30 * 86400}]  # after window
        ev += [{"user_id": 12, "type": "message_clicked", "ts": now + 5, "campaign_id": "c1"}]
        ev = [{"campaign_id": None, **e} for e in ev]  # executemany needs uniform keys
        conn.execute(insert(Event.__table__), ev)
        conn.execute(
            insert(Outbox.__table__).values(
                idempotency_key="k12",
                campaign_id="c1",
                step_id="s1",
                user_id=12,
                channel="sms",
                state="sent",
                sent_ts=now,
                created_ts=now,
            )
        )
        conn.execute(
            insert(Trait.__table__).values(
                user_id=12,
                as_of_ts=now,
                language="en",
                timezone="UTC",
                days_since_signup=1,
                lifecycle_stage="new",
                rfm_segment="new",
                p_alive=1.0,
                expected_orders_90d=0.0,
                ltv_12m=0.0,
                ltv_tier="low",
                churn_risk=0.0,
            )
        )
    return now


def test_measure_campaign_per_arm(any_engine: Engine) -> None:
    _campaign(any_engine)
    res = measure_campaign(any_engine, "c1", baseline_step="s1b")
    kpi = res["kpi"]
    assert (kpi["n_treatment"], kpi["n_holdout"]) == (20, 10)
    assert kpi["treatment"] == pytest.approx(0.5) and kpi["holdout"] == pytest.approx(0.1)
    assert kpi["uplift"] == pytest.approx(0.4)
    assert kpi["ci"][0] < 0.4 < kpi["ci"][1]
    assert res["baseline"]["treatment"] == pytest.approx(0.3)
    assert res["baseline"]["uplift"] == pytest.approx(0.2)
    clicks = measure_campaign(any_engine, "c1", metric="click_rate")["kpi"]
    assert clicks["treatment"] == pytest.approx(1 / 20)


def test_write_back_tags_and_last_contacted(sqlite_engine: Engine) -> None:
    now = _campaign(sqlite_engine)
    counts = write_back(sqlite_engine, "c1")
    again = write_back(sqlite_engine, "c1")
    assert counts == again
    assert counts["clicked"] == 1 and counts["converted"] == 3
    assert sum(counts.values()) == 30  # treated members only, holdout untouched
    with sqlite_engine.connect() as conn:
        a12 = conn.execute(text("SELECT attributes FROM users WHERE id = 12")).scalar_one()
        a1 = conn.execute(text("SELECT attributes FROM users WHERE id = 1")).scalar_one()
        last = conn.execute(text("SELECT last_contacted_ts FROM traits")).scalar_one()
    import json

    a12 = json.loads(a12) if isinstance(a12, str) else a12
    a1 = json.loads(a1) if isinstance(a1, str) else a1
    assert a12["responses"] == {"c1": "clicked"} and a12["persona"] == "x"
    assert "responses" not in a1
    assert last == now

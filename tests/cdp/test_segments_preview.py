"""The segment preview: counts from one pass, no contact data, overlaps with active campaigns."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from tests.cdp import segment_fixture as fx
from userops.cdp.segments.preview import safe_summary
from userops.cdp.segments.service import parse_spec, preview_segment, segment_user_ids
from userops.privacy import find_contact_data


def test_preview_of_everyone_counts_every_canonical_user(any_engine: Engine) -> None:
    fx.load(any_engine)
    summary = preview_segment(any_engine, parse_spec({"all": []}))
    assert summary.size == len(fx.CANONICAL)
    assert summary.reachable["sms"] == 3  # users 1, 4, 6 (the stale row of 5 is not counted)
    assert summary.reachable["email"] == 1
    assert summary.reachable["wecom"] == 0
    dist = summary.distributions
    assert dist["ltv_tier"] == {"high": 2, "mid": 1, "low": 2}
    assert dist["region"] == {"Shanghai": 2, "Beijing": 1, "Guangzhou": 1, "unknown": 1}
    assert dist["preferred_channel"]["unknown"] == 1
    assert sum(dist["lifecycle_stage"].values()) == summary.size
    churn = [fx.TRAITS[u][5] for u in fx.CANONICAL]
    ltv = [fx.TRAITS[u][6] for u in fx.CANONICAL]
    assert summary.mean_churn_risk is not None and summary.mean_ltv_12m is not None
    assert abs(summary.mean_churn_risk - sum(churn) / len(churn)) < 1e-9
    assert abs(summary.mean_ltv_12m - sum(ltv) / len(ltv)) < 1e-9


def test_preview_size_matches_segment_ids(any_engine: Engine) -> None:
    fx.load(any_engine)
    spec = parse_spec(
        {
            "all": [{"field": "reachable_channels", "op": "contains", "value": "sms"}],
            "none": [{"event": "order", "within_days": 30}],
        }
    )
    summary = preview_segment(any_engine, spec)
    ids = segment_user_ids(any_engine, spec)
    assert summary.size == len(ids) == 2
    assert summary.distributions["lifecycle_stage"] == {"churn_risk": 1, "churned": 1}
    assert summary.spec == spec.dump()


def test_preview_carries_no_contact_data(any_engine: Engine) -> None:
    fx.load(any_engine)
    summary = preview_segment(any_engine, parse_spec({"all": []}))
    dumped = summary.model_dump_json()
    for secret in (fx.PHONE, fx.EMAIL, fx.OPENID):
        assert secret not in dumped
    assert find_contact_data(json.dumps(summary.model_dump(), ensure_ascii=False)) == []
    assert len(summary.samples) == 4  # user 3 has no summary
    assert any("[redacted]" in s.summary for s in summary.samples)
    assert "user_id" not in dumped


def test_safe_summary_drops_what_it_cannot_clean() -> None:
    assert safe_summary(f"call {fx.PHONE}") == "call [redacted]"
    assert (
        safe_summary("likes tea, 3 orders for 120.5 yuan") == "likes tea, 3 orders for 120.5 yuan"
    )


def test_samples_are_at_most_five(sqlite_engine: Engine) -> None:
    fx.load(sqlite_engine)
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("UPDATE traits SET summary = 'same text'")
    summary = preview_segment(sqlite_engine, parse_spec({}))
    assert len(summary.samples) == 5


def test_overlap_counts_only_active_campaigns(any_engine: Engine) -> None:
    fx.load(any_engine)
    summary = preview_segment(any_engine, parse_spec({"all": []}))
    assert [(o.campaign_id, o.users) for o in summary.overlap] == [("c-run", 3)]
    spec = parse_spec({"all": [{"field": "ltv_tier", "op": "=", "value": "high"}]})
    assert [(o.campaign_id, o.users) for o in preview_segment(any_engine, spec).overlap] == [
        ("c-run", 1)
    ]


def test_empty_segment_preview(sqlite_engine: Engine) -> None:
    fx.load(sqlite_engine)
    spec = parse_spec({"all": [{"field": "churn_risk", "op": ">", "value": 0.99}]})
    summary = preview_segment(sqlite_engine, spec)
    assert summary.size == 0
    assert summary.mean_churn_risk is None
    assert summary.samples == [] and summary.overlap == []
    assert set(summary.reachable.values()) == {0}


def test_preview_with_limit_and_search(sqlite_engine: Engine) -> None:
    fx.load(sqlite_engine)
    spec = parse_spec({"search": "skincare", "limit": 2})
    summary = preview_segment(sqlite_engine, spec, searcher=lambda text, k: [2, 4, 6])
    assert summary.size == 2  # 6 (240) and 4 (47.5) beat 2 (30)
    assert summary.distributions["lifecycle_stage"] == {"churned": 1, "reactivated": 1}


def test_verify_reach_follows_current_consent_and_dnc(any_engine: Engine) -> None:
    from sqlalchemy import insert, update

    from userops.store.models import Consent, User

    fx.load(any_engine)
    with any_engine.begin() as conn:
        conn.execute(
            insert(Consent),
            [
                {
                    "user_id": 5,
                    "channel": "sms",
                    "status": "granted",
                    "ts": fx.AS_OF,
                },  # record of 1
                {"user_id": 1, "channel": "sms", "status": "withdrawn", "ts": fx.AS_OF},
                {"user_id": 1, "channel": "email", "status": "withdrawn", "ts": fx.AS_OF},
                {"user_id": 4, "channel": "sms", "status": "withdrawn", "ts": fx.AS_OF},
                {"user_id": 6, "channel": "sms", "status": "granted", "ts": fx.AS_OF},
                {"user_id": 6, "channel": "wechat_template", "status": "granted", "ts": fx.AS_OF},
                {"user_id": 2, "channel": "app_push", "status": "granted", "ts": fx.AS_OF},
                {
                    "user_id": 3,
                    "channel": "sms",
                    "status": "granted",
                    "ts": fx.AS_OF,
                },  # not reachable
            ],
        )
        conn.execute(update(User).where(User.id == 2).values(do_not_contact=True))
    plain = preview_segment(any_engine, parse_spec({}))
    assert plain.reachable_now is None
    summary = preview_segment(any_engine, parse_spec({}), verify_reach=True)
    assert summary.reachable["sms"] == 3
    assert summary.reachable_now is not None
    # sms: 1 (granted via merged record 5) and 6; 4 withdrew; 3 was never reachable
    assert summary.reachable_now["sms"] == 2
    assert summary.reachable_now["email"] == 0
    assert summary.reachable_now["app_push"] == 0  # user 2 is do-not-contact now
    assert summary.reachable_now["wechat_template"] == 1

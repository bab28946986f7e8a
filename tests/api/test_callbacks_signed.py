"""Signed callbacks over HTTP: e-mail bounces and complaints, push tokens, call outcomes."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.api.feedback_support import (
    SECRETS,
    Site,
    consent,
    count,
    events,
    make_site,
    mark_sent,
    next_dispatch,
    people,
)
from userops.dispatch.adapters._http import dedupe_id
from userops.dispatch.adapters.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature


@pytest.fixture
def site(sqlite_engine: Engine, home: Path) -> Site:
    return make_site(sqlite_engine, home)


def now() -> int:
    return int(time.time())


def column(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text(sql))]


def call_doc(user: int = 1, **change: Any) -> dict[str, Any]:
    return {
        "task_id": f"c1|s1|{user}|voice_call",
        "status": "completed",
        "intent": "interested",
        "tags": ["Price_Sensitive", "wants_tutorial"],
        "duration_seconds": 74,
        "ended_at": 1779937200,
        "summary": "问了会员价，想看教程",
        "metadata": {"user_id": user, "campaign_id": "c1"},
        **change,
    }


def test_a_complaint_withdraws_email_consent_and_the_next_dispatch_suppresses(site: Site) -> None:
    ids = people(site.engine, 2, ("email",))
    next_dispatch(site.engine, ids, "email", "c1")
    mark_sent(site.engine, "c1")
    mid = f"<{dedupe_id('c1|s1|1|email')}@shop.example>"
    doc = {"events": [{"type": "complaint", "email": "U1@example.com", "message_id": mid,
                       "ts": now()}]}  # fmt: skip
    r = site.signed("email", doc)
    assert r.status_code == 200, r.text
    assert r.json()["consents_withdrawn"] == 1
    assert consent(site.engine, 1, "email") == ("withdrawn", "email_complaint")
    [e] = events(site.engine)
    assert e[:4] == (1, "message_opted_out", "email", "c1")
    actors = column(site.engine, "SELECT actor FROM audit WHERE action = 'consent.set'")
    assert actors == ["feedback:email"]
    assert next_dispatch(site.engine, ids, "email", "c2") == {
        1: ("suppressed", "consent"),
        2: ("pending", None),
    }


def test_a_hard_bounce_clears_the_address_a_soft_one_does_not(site: Site) -> None:
    ids = people(site.engine, 2, ("email",))
    doc = {"events": [
        {"type": "bounce", "bounce_type": "hard", "email": "u1@example.com", "ts": now(),
         "diagnostic": "550 5.1.1 user unknown"},
        {"type": "bounce", "bounce_type": "soft", "email": "u2@example.com", "ts": now()},
    ]}  # fmt: skip
    r = site.signed("email", doc)
    assert r.status_code == 200 and r.json()["contacts_invalidated"] == 1
    assert column(site.engine, "SELECT email FROM users ORDER BY id") == [None, "u2@example.com"]
    assert column(site.engine, "SELECT user_id FROM identities WHERE kind = 'email'") == [2]
    got = {e[0]: e[4] for e in events(site.engine)}
    assert got[1]["event"] == "email_bounced" and got[1]["bounce_type"] == "hard"
    assert next_dispatch(site.engine, ids, "email", "c2") == {
        1: ("suppressed", "unreachable"),
        2: ("pending", None),
    }


def test_an_invalid_push_token_makes_the_user_unreachable_on_push(site: Site) -> None:
    ids = people(site.engine, 2, ("app_push",))
    doc = {"events": [{"token": "dev2", "reason": "unregistered", "ts": now()}]}
    r = site.signed("push", doc)
    assert r.status_code == 200 and r.json()["contacts_invalidated"] == 1
    assert column(site.engine, "SELECT device_id FROM users ORDER BY id") == ["dev1", None]
    audit = column(site.engine, "SELECT detail FROM audit WHERE action = 'contact.invalidated'")
    assert "dev2" not in json.dumps(audit)  # the audit keeps a hash, not the token
    assert next_dispatch(site.engine, ids, "app_push", "c2") == {
        1: ("pending", None),
        2: ("suppressed", "unreachable"),
    }


def test_a_call_outcome_becomes_an_event_and_call_traits(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    people(site.engine, 1, ("voice_call",))
    with site.engine.begin() as conn:  # a trait row for the user (as a build leaves it)
        conn.execute(
            text(
                "INSERT INTO traits (user_id, as_of_ts, language, timezone, days_since_signup,"
                " lifecycle_stage, orders_90d, orders_total, monetary_365d, aov, rfm_segment,"
                " p_alive, expected_orders_90d, ltv_12m, ltv_tier, churn_risk,"
                " reachable_channels, interests, price_sensitivity, contacts_7d) VALUES"
                " (1, 0, 'zh', 'Asia/Shanghai', 10, 'new', 0, 0, 0, 0, 'new', 1, 0, 0, 'low',"
                " 0, '', '', 0.5, 0)"
            )
        )
    r = site.signed("call", call_doc())
    assert r.status_code == 200, r.text
    [e] = events(site.engine)
    assert e[:4] == (1, "call_outcome", "voice_call", "c1")
    assert e[4]["intent"] == "interested" and e[4]["connected"] is True
    assert e[4]["tags"] == ["price_sensitive", "wants_tutorial"]
    assert e[5] == "问了会员价，想看教程"
    row = column(site.engine, "SELECT last_call_intent || ' ' || call_tags FROM traits")
    assert row == ["interested ,price_sensitive,wants_tutorial,"]
    assert consent(site.engine, 1, "voice_call") == ("granted", "test")
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # the trait update ran


def test_an_opt_out_on_the_call_withdraws_call_consent(site: Site) -> None:
    people(site.engine, 1, ("voice_call",))
    r = site.signed("call", call_doc(intent="opt_out", tags=[]))
    assert r.status_code == 200 and r.json()["consents_withdrawn"] == 1
    assert consent(site.engine, 1, "voice_call") == ("withdrawn", "call_opt_out")
    assert next_dispatch(site.engine, [1], "voice_call", "c2")[1] == ("suppressed", "consent")


@pytest.mark.parametrize("provider", ["email", "push", "call"])
def test_bad_signature_expired_and_replayed_requests_write_nothing(
    site: Site, provider: str
) -> None:
    people(site.engine, 1, ("email", "app_push", "voice_call"))
    docs = {
        "email": {"events": [{"type": "complaint", "email": "u1@example.com", "ts": now()}]},
        "push": {"events": [{"token": "dev1", "reason": "invalid", "ts": now()}]},
        "call": call_doc(intent="opt_out"),
    }
    doc = docs[provider]
    wrong = site.signed(provider, doc, secret="not-the-secret")
    old = site.signed(provider, doc, ts=now() - 301)
    ahead = site.signed(provider, doc, ts=now() + 301)
    unsigned = site.client.post(f"/v1/callbacks/{provider}", json=doc)
    for r, where in ((wrong, SIGNATURE_HEADER), (old, TIMESTAMP_HEADER),
                     (ahead, TIMESTAMP_HEADER), (unsigned, SIGNATURE_HEADER)):  # fmt: skip
        assert r.status_code == 401, r.text
        assert r.json()["detail"][0]["loc"] == ["header", where]
    assert count(site.engine, "events") == 0 and count(site.engine, "audit") == 0
    body = json.dumps(doc).encode()
    ts = str(now())
    headers = {SIGNATURE_HEADER: signature(SECRETS[provider], ts, body), TIMESTAMP_HEADER: ts}
    first = site.client.post(f"/v1/callbacks/{provider}", content=body, headers=headers)
    assert first.status_code == 200, first.text
    written = (count(site.engine, "events"), count(site.engine, "audit"))
    replayed = site.client.post(f"/v1/callbacks/{provider}", content=body, headers=headers)
    assert replayed.status_code == 409 and "replayed" in replayed.text
    assert (count(site.engine, "events"), count(site.engine, "audit")) == written


@pytest.mark.parametrize(
    ("provider", "doc", "field"),
    [
        ("email", {"events": [{"type": "complaint", "email": "nope", "ts": 1}]}, "events[0].email"),
        ("email", {"events": [{"type": "spam", "email": "u1@example.com", "ts": 1}]},
         "events[0].type"),
        ("email", {"events": [{"type": "complaint", "email": "u1@example.com", "ts": 1},
                              {"type": "bounce", "email": "u1@example.com", "ts": -5}]},
         "events[1].ts"),
        ("email", {"events": "complaint"}, "events"),
        ("email", [1], "$"),
        ("push", {"events": [{"token": "dev1", "reason": "tired", "ts": 1}]}, "events[0].reason"),
        ("push", {"events": [{"token": "", "reason": "invalid", "ts": 1}]}, "events[0].token"),
        ("call", call_doc(tags=["ok", "a,b"]), "tags[1]"),
        ("call", call_doc(intent="ignore previous instructions"), "intent"),
        ("call", call_doc(status="exploded"), "status"),
        ("call", call_doc(metadata={"user_id": 99}), "metadata.user_id"),
        ("call", call_doc(summary="x" * 2001), "summary"),
        ("call", [call_doc()], "$"),
    ],
)  # fmt: skip
def test_a_malformed_signed_body_is_a_located_400(
    site: Site, provider: str, doc: Any, field: str
) -> None:
    people(site.engine, 1, ("email", "app_push", "voice_call"))
    r = site.signed(provider, doc)
    assert r.status_code == 400, r.text
    assert field in [d["field"] for d in r.json()["detail"]], r.json()
    assert count(site.engine, "events") == 0 and count(site.engine, "audit") == 0
    assert count(site.engine, "callback_replays") == 0


def test_callbacks_of_an_unconfigured_provider_are_refused(
    sqlite_engine: Engine, home: Path
) -> None:
    site = make_site(sqlite_engine, home)
    site.settings.call_callback_secret = None
    people(sqlite_engine, 1, ("voice_call",))
    r = site.signed("call", call_doc())
    assert r.status_code == 401 and "not configured" in r.text
    assert count(sqlite_engine, "events") == 0

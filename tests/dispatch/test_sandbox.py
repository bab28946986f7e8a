"""Sandbox: simulated responses follow propensities; fallback; rendering; token bucket."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine, text

from tests.dispatch.factory import add_users, outbox_rows, push, sms, step
from userops.dispatch.engine import enqueue
from userops.dispatch.models import FallbackRule, MessageContent
from userops.dispatch.policy import Policy
from userops.dispatch.ratelimit import TokenBucket
from userops.dispatch.render import BadContent, placeholder_problems, render
from userops.dispatch.sandbox import simulate_responses
from userops.dispatch.worker import Worker
from userops.store.meta import mark_simulated

DAY = 86400
DAY_TS = 1779933600
POLICY = Policy.load()
TUTORIAL_FAN = {
    "persona": "tutorial",
    "propensity": {
        "channel": {"sms": 0.6, "app_push": 0.5},
        "content": {"tutorial": 0.5, "offer": 0.08},
    },
    "base_conversion": 0.3,
    "organic_rate": 0.3,
}


def counts(engine: Engine, campaign: str) -> dict[tuple[str, str], int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT type, properties FROM events WHERE campaign_id = :c OR"
                " (campaign_id IS NULL AND type = 'order')"
            ),
            {"c": campaign},
        ).all()
    out: dict[tuple[str, str], int] = {}
    import json

    for t, p in rows:
        p = json.loads(p) if isinstance(p, str) else p
        k = (t, p.get("content_type") or p.get("simulated") or "")
        out[k] = out.get(k, 0) + 1
    return out


def test_personalization_matters_and_holdout_converts_organically(sqlite_engine: Engine) -> None:
    mark_simulated(sqlite_engine, "test")  # a store made for simulation
    users = add_users(sqlite_engine, 1500, consent=("sms",), attributes=TUTORIAL_FAN)
    contents = {"tut": sms("tut"), "off": sms("off", content_type="offer")}
    s = step(users[:1000], contents=contents, variant="tut", holdout=users[1000:])
    s.assignments = [(u, "sms", "tut" if u % 2 else "off") for u in users[:1000]]
    enqueue(sqlite_engine, s, policy=POLICY, now_ts=DAY_TS)
    Worker(sqlite_engine, None, policy=POLICY, clock=lambda: DAY_TS, fallbacks=False).run()
    first = simulate_responses(sqlite_engine, until_ts=DAY_TS + 10 * DAY, seed=1)
    c = counts(sqlite_engine, "c1")
    assert c[("message_delivered", "tutorial")] == c[("message_delivered", "offer")] == 500
    assert c[("message_clicked", "tutorial")] > 3 * c.get(("message_clicked", "offer"), 0)
    assert c[("message_converted", "tutorial")] > c.get(("message_converted", "offer"), 0)
    assert 380 < c[("order", "organic")] < 520  # organic_rate 0.3 for all 1500 members
    clicked = c[("message_clicked", "tutorial")] + c.get(("message_clicked", "offer"), 0)
    converted = c[("message_converted", "tutorial")] + c.get(("message_converted", "offer"), 0)
    assert 0.15 * clicked < converted < 0.45 * clicked  # P(convert | click) = base_conversion
    with sqlite_engine.connect() as conn:
        opted = (
            conn.execute(text("SELECT user_id FROM events WHERE type = 'message_opted_out'"))
            .scalars()
            .all()
        )
        withdrawn = (
            conn.execute(text("SELECT user_id FROM consents WHERE status = 'withdrawn'"))
            .scalars()
            .all()
        )
        n_events = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
    assert sorted(opted) == sorted(withdrawn)
    again = simulate_responses(sqlite_engine, until_ts=DAY_TS + 10 * DAY, seed=1)
    assert again == first
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM events")).scalar_one() == n_events


def test_fast_forward_adds_only_what_happened(sqlite_engine: Engine) -> None:
    mark_simulated(sqlite_engine, "test")  # a store made for simulation
    users = add_users(sqlite_engine, 200, consent=("sms",), attributes=TUTORIAL_FAN)
    enqueue(sqlite_engine, step(users), policy=POLICY, now_ts=DAY_TS)
    Worker(sqlite_engine, None, policy=POLICY, clock=lambda: DAY_TS, fallbacks=False).run()
    early = simulate_responses(sqlite_engine, until_ts=DAY_TS + 60)
    late = simulate_responses(sqlite_engine, until_ts=DAY_TS + 5 * DAY)
    assert early.get("message_delivered", 0) == 200 and "message_clicked" not in early
    assert late["message_opened"] > 60


def test_fallback_after_no_response_goes_through_policy(sqlite_engine: Engine) -> None:
    mark_simulated(sqlite_engine, "test")  # a store made for simulation
    users = add_users(sqlite_engine, 300, consent=("sms", "app_push"), attributes=TUTORIAL_FAN)
    fb = FallbackRule(after_seconds=DAY, channel="sms", variant_id="v1")
    enqueue(
        sqlite_engine, step(users, channel="app_push", fallback=fb), policy=POLICY, now_ts=DAY_TS
    )
    Worker(sqlite_engine, None, policy=POLICY, clock=lambda: DAY_TS, fallbacks=True).run()
    simulate_responses(sqlite_engine, until_ts=DAY_TS + DAY + 10)
    with sqlite_engine.connect() as conn:
        responded = set(
            conn.execute(
                text("SELECT DISTINCT user_id FROM events WHERE type = 'message_opened'")
            ).scalars()
        )
    Worker(sqlite_engine, None, policy=POLICY, clock=lambda: DAY_TS + DAY - 5).run()
    assert {r[5] for r in outbox_rows(sqlite_engine)} == {"s1"}  # not yet due
    stats = Worker(sqlite_engine, None, policy=POLICY, clock=lambda: DAY_TS + DAY + 10).run()
    fb_rows = [r for r in outbox_rows(sqlite_engine) if r[5] == "s1-fb"]
    assert 0 < len(fb_rows) == 300 - len(responded) == stats["fallbacks"]
    assert {r[0] for r in fb_rows}.isdisjoint(responded)
    assert {(r[1], r[2]) for r in fb_rows} == {("sms", "sent")}  # daily cap counted 24 h ago
    simulate_responses(sqlite_engine, until_ts=DAY_TS + 10 * DAY)
    with sqlite_engine.connect() as conn:
        organic = conn.execute(
            text(
                "SELECT user_id, count(*) FROM events WHERE type = 'order' AND"
                " campaign_id IS NULL GROUP BY user_id"
            )
        ).all()
    # one organic draw per (campaign, user), however many steps the user is a member of
    assert organic and max(n for _u, n in organic) == 1
    assert 50 < len(organic) < 130  # organic_rate 0.3 of 300 users, not of 300 + fallbacks


def test_render_fills_known_placeholders_and_refuses_unknown() -> None:
    c = MessageContent(
        variant_id="e", channel="email", subject="Hi {name}", body="{offer} {unsubscribe_url}"
    )
    out = render(c.model_dump(), {"name": "Li", "offer": "10%", "unsubscribe_url": "u"})
    assert (out["subject"], out["body"]) == ("Hi Li", "10% u")
    assert placeholder_problems(push(content_type="x")) == []
    bad = MessageContent(variant_id="b", channel="sms", body="{phone}")
    assert placeholder_problems(bad) == ["phone"]
    with pytest.raises(BadContent):
        render(bad.model_dump(), {"name": "x"})


def test_token_bucket_waits_for_the_rate() -> None:
    t = [0.0]
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)
        t[0] += s

    bucket = TokenBucket(100, 10, clock=lambda: t[0], sleep=sleep)

    async def go() -> None:
        await bucket.acquire(10)
        await bucket.acquire(50)

    asyncio.run(go())
    assert sum(slept) == pytest.approx(0.5)  # 50 tokens at 100/s after the burst is spent


def test_compiled_template_keeps_literal_braces_and_refuses_missing_values() -> None:
    from userops.dispatch.render import Template

    c = MessageContent(
        variant_id="e",
        channel="email",
        subject="{name}",
        body="a {name} b",
        html="<style>p{x:1}</style>{name}",
    )
    t = Template(c.model_dump())
    out = t.fill({"name": "Li"})
    assert (out["subject"], out["body"], out["html"]) == ("Li", "a Li b", "<style>p{x:1}</style>Li")
    with pytest.raises(BadContent):
        t.fill({"offer": "x"})

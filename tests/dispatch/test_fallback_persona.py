"""Personalized fallback: each fallback row uses the content for its original persona."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from tests.dispatch.factory import add_users
from userops.dispatch.engine import enqueue
from userops.dispatch.models import DispatchStep, FallbackRule, MessageContent
from userops.dispatch.policy import Policy
from userops.dispatch.worker import Worker
from userops.errors import BadInput

POLICY = Policy.load()
DAY = 86400
T0 = 1779933600


def _content(vid: str, channel: str, persona: str) -> MessageContent:
    title = "新内容" if channel == "app_push" else None
    body = "{name}，来看看" if channel == "app_push" else "【优选】{name}，来看看，回T退订"
    return MessageContent(
        variant_id=vid,
        channel=channel,
        title=title,
        body=body,
        content_type=persona,
        persona=persona,
    )


CONTENTS = {
    v: _content(v, ch, p)
    for v, ch, p in [
        ("tutorial-app_push", "app_push", "tutorial"),
        ("offer-app_push", "app_push", "offer"),
        ("social-app_push", "app_push", "social"),
        ("tutorial-sms", "sms", "tutorial"),
        ("offer-sms", "sms", "offer"),
    ]
}


def _step(users: list[int], fb: FallbackRule) -> DispatchStep:
    personas = ("tutorial", "offer", "social")
    return DispatchStep(
        campaign_id="c1",
        step_id="s1",
        contents=CONTENTS,
        assignments=[(u, "app_push", f"{personas[u % 3]}-app_push") for u in users],
        fallback=fb,
    )


def test_fallback_takes_the_original_persona(any_engine: Engine) -> None:
    users = add_users(any_engine, 30, consent=("sms", "app_push"))
    fb = FallbackRule(
        after_seconds=DAY,
        channel="sms",
        variant_id="tutorial-sms",
        variant_by_persona={"tutorial": "tutorial-sms", "offer": "offer-sms"},
    )
    enqueue(any_engine, _step(users, fb), policy=POLICY, now_ts=T0)
    Worker(any_engine, None, policy=POLICY, clock=lambda: T0).run()
    Worker(any_engine, None, policy=POLICY, clock=lambda: T0 + DAY + 60).run()
    with any_engine.connect() as conn:
        got = dict(
            conn.execute(text("SELECT user_id, variant FROM outbox WHERE step_id = 's1-fb'")).all()
        )
    assert set(got) == set(users)  # nobody responded (no simulation)
    for u, v in got.items():
        # social has no SMS variant of its own: the rule's single variant
        assert v == {0: "tutorial-sms", 1: "offer-sms", 2: "tutorial-sms"}[u % 3], u


def test_fallback_without_a_persona_map_uses_the_single_variant(any_engine: Engine) -> None:
    users = add_users(any_engine, 9, consent=("sms", "app_push"))
    fb = FallbackRule(after_seconds=DAY, channel="sms", variant_id="offer-sms")
    enqueue(any_engine, _step(users, fb), policy=POLICY, now_ts=T0)
    Worker(any_engine, None, policy=POLICY, clock=lambda: T0).run()
    Worker(any_engine, None, policy=POLICY, clock=lambda: T0 + DAY + 60).run()
    with any_engine.connect() as conn:
        got = set(
            conn.execute(text("SELECT variant FROM outbox WHERE step_id = 's1-fb'")).scalars()
        )
    assert got == {"offer-sms"}


def test_persona_variant_on_another_channel_is_refused(sqlite_engine: Engine) -> None:
    users = add_users(sqlite_engine, 3, consent=("sms", "app_push"))
    fb = FallbackRule(
        channel="sms", variant_id="tutorial-sms", variant_by_persona={"offer": "offer-app_push"}
    )
    with pytest.raises(BadInput) as err:
        enqueue(sqlite_engine, _step(users, fb), policy=POLICY, now_ts=T0)
    assert "fallback.variant_by_persona.offer" in str(err.value)
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar_one() == 0

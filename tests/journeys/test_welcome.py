"""A welcome journey end to end on a small seeded store, through the worker and the policy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from tests.journeys.support import SMS, add_event, live, rows, spec
from userops.dispatch.policy import Policy
from userops.dispatch.worker import Worker
from userops.journeys.runner import JourneyRunner
from userops.journeys.views import show_journey
from userops.store.engine import make_engine, upgrade

NOW = int(datetime(2026, 11, 2, 2, 30, tzinfo=UTC).timestamp())  # 10:30 in Shanghai
PUSH = {"channel": "app_push", "title": "欢迎", "body": "{name}，欢迎"}
SEND = {
    "kind": "send",
    "id": "hello",
    "channels": ["app_push", "sms"],
    "variants": [
        {"variant_id": "sms-d", "channel": "sms", "body": SMS},
        {"variant_id": "sms-offer", "channel": "sms", "persona": "offer", "body": SMS},
        {"variant_id": "push-d", **PUSH},
        {"variant_id": "push-tut", "persona": "tutorial", **PUSH},
    ],
    "next": "done",
}


def _seeded(tmp_path: Path) -> Engine:
    from userops.cdp.sample.population import seed_population
    from userops.cdp.traits.build import build_profiles

    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    upgrade(engine)
    seed_population(engine, users=60, seed=3, language="zh")  # marks the store simulated
    build_profiles(engine)
    return engine


def test_welcome_journey_on_a_seeded_store(tmp_path: Path) -> None:
    engine = _seeded(tmp_path)
    jid = live(engine, spec(nodes=[SEND, {"kind": "exit", "id": "done"}]), now=NOW - 60)
    users = [int(r[0]) for r in rows(engine, "SELECT user_id FROM traits ORDER BY user_id")][:30]
    for u in users:
        add_event(engine, u, NOW - 30)
    policy = Policy.load()
    journeys = JourneyRunner(engine, policy=policy, clock=lambda: NOW)
    Worker(engine, None, policy=policy, clock=lambda: NOW, tick=journeys.tick).run()

    steps = rows(
        engine, "SELECT user_id, outcome, channel, variant, reason FROM journey_steps_done"
    )
    assert sorted(int(s[0]) for s in steps if s[1] in ("send", "suppressed")) == users
    out = rows(engine, "SELECT user_id, channel, variant, state, reason FROM outbox")
    sent = [s for s in steps if s[1] == "send"]
    assert len(out) == len(sent) == len({o[0] for o in out})  # one message per entered user
    traits = {
        int(r[0]): (r[1], r[2], r[3])
        for r in rows(
            engine,
            "SELECT user_id, preferred_channel, content_affinity, reachable_channels FROM traits",
        )
    }
    for uid, channel, variant, _, _ in out:
        pref, persona, reach = traits[int(uid)]
        if pref in ("app_push", "sms") and f",{pref}," in reach:
            assert channel == pref, (uid, pref, channel)
        expected = {("sms", "offer"): "sms-offer", ("app_push", "tutorial"): "push-tut"}
        assert variant == expected.get((channel, persona), variant.split("-")[0] + "-d")
    delivered = rows(engine, "SELECT idempotency_key, count(*) FROM deliveries GROUP BY 1")
    assert all(int(n) == 1 for _, n in delivered)
    states = [o[3] for o in out]
    assert states.count("sent") == len(delivered) > 0
    node = show_journey(engine, jid)["versions"][0]["nodes"]["hello"]
    assert node["entered"] == 30
    counted = node["sent"] + node["deferred"] + node["queued"] + sum(node["suppressed"].values())
    assert counted == 30 and node["sent"] == len(delivered)
    engine.dispose()

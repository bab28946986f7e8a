"""Journeys triggered by a real client: segment-analytics-python sends ``identify`` and
``track`` to a real ``userops serve``; the worker (on an injected clock) enqueues and sends
the journey's messages, waits included."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from scripts.serve_procs import serve, stop
from tests.cdp.stream.support import canonical
from tests.journeys.support import NO_QUIET, Clock, live, rows, spec
from userops.cdp.stream.sources import add_source
from userops.dispatch.worker import Worker
from userops.journeys.runner import JourneyRunner
from userops.store.engine import make_engine, upgrade

pytestmark = pytest.mark.slow  # a real server starts (about 8 s on a loaded machine)
segment = pytest.importorskip("segment.analytics")
DAY = 86400


def _work(engine: Engine, clock: Clock) -> None:
    journeys = JourneyRunner(engine, policy=NO_QUIET, clock=clock)
    Worker(engine, None, policy=NO_QUIET, clock=clock, tick=journeys.tick).run()


def _outbox(engine: Engine) -> list[tuple[int, str, str]]:
    got = rows(engine, "SELECT user_id, step_id, state FROM outbox ORDER BY id")
    return [(int(u), str(s), str(st)) for u, s, st in got]


def test_identify_and_track_from_segment_python_start_the_journey(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'userops.db'}")
    upgrade(engine)
    key = add_source(engine, "segment-py", "web")[1]
    clock = Clock(int(time.time()))
    jid = live(engine, spec(goal={"event": "Order Completed"}), now=clock.now)
    proc, base = serve(tmp_path, log=tmp_path / "serve.log")
    errors: list[Any] = []
    client = segment.Client(key, host=base, on_error=lambda e, b: errors.append(e), max_retries=1)
    try:
        for who, phone in (("ann", "13900001111"), ("bob", "13900002222")):
            client.identify(
                user_id=who,
                traits={"phone": phone, "consent_sms": True, "name": who},
                context={"timezone": "Asia/Shanghai", "locale": "zh-CN"},
            )
            client.track(user_id=who, event="Signed Up", properties={"plan": "free"})
        client.flush()
        ann, bob = canonical(engine, "ann"), canonical(engine, "bob")
        _work(engine, clock)
        assert _outbox(engine) == [(ann, "hello#1", "sent"), (bob, "hello#1", "sent")]

        clock.now += DAY + 60  # the 1-day wait is over: both wait for an order
        _work(engine, clock)
        client.track(user_id="ann", event="Order Completed", properties={"total": 20.0})
        client.flush()
        clock.now += 3 * DAY  # bob's 3 days run out: the nudge; ann's order ended hers
        _work(engine, clock)
    finally:
        client.shutdown()
        stop(proc)
    assert errors == []
    assert _outbox(engine) == [
        (ann, "hello#1", "sent"),
        (bob, "hello#1", "sent"),
        (bob, "nudge#1", "sent"),
    ]
    got = rows(engine, "SELECT user_id, node_id, state, exit_reason FROM journey_members")
    assert sorted(tuple(r) for r in got) == sorted(
        [(ann, "order", "exited", "goal"), (bob, "done", "exited", "completed")]
    )
    assert rows(engine, "SELECT DISTINCT campaign_id FROM outbox") == [(f"j-{jid}-v1",)]
    engine.dispose()

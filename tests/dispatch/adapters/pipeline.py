"""Run the real outbox worker against real adapters until every row has settled."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Engine, text

from tests.dispatch.factory import add_users, step
from userops.dispatch.adapters.base import ChannelAdapter
from userops.dispatch.engine import enqueue
from userops.dispatch.models import MessageContent
from userops.dispatch.policy import Policy
from userops.dispatch.worker import Worker

DAY_TS = 1779933600  # 10:00 in Shanghai: outside quiet hours
FAST = Policy.with_overrides(
    {
        "retry": {
            "max_attempts": 4,
            "initial_seconds": 0.001,
            "max_seconds": 0.01,
            "in_process_tries": 2,
        }
    }
)


def enqueue_step(
    engine: Engine, users: int, channel: str, content: MessageContent, **user_kw: Any
) -> list[int]:
    """Users with consent on ``channel`` and one queued step sending ``content`` to each."""
    ids = add_users(engine, users, consent=(channel,), **user_kw)
    s = step(ids, channel=channel, contents={content.variant_id: content})
    enqueue(engine, s, policy=FAST, now_ts=DAY_TS)
    return ids


def drain(
    engine: Engine,
    adapters: dict[str, ChannelAdapter],
    passes: int = 8,
    batch_size: int | None = None,
) -> Counter[str]:
    """Worker passes, the clock moving 2 minutes each, until nothing is due or deferred."""
    total: Counter[str] = Counter()
    clock = [DAY_TS]
    for _ in range(passes):
        total += Worker(
            engine, adapters, policy=FAST, clock=lambda: clock[0], batch_size=batch_size
        ).run()
        clock[0] += 120
        with engine.connect() as conn:
            left = conn.execute(
                text("SELECT count(*) FROM outbox WHERE state IN ('pending', 'deferred')")
            ).scalar_one()
        if not left:
            break
    return total


def rows(engine: Engine) -> dict[int, tuple[str, str | None, int, str | None]]:
    """Outbox rows by user: state, reason, attempts, provider message id."""
    with engine.connect() as conn:
        got = conn.execute(
            text("SELECT user_id, state, reason, attempts, provider_message_id FROM outbox")
        ).all()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in got}

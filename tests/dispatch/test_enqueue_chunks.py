"""Enqueue in chunks: a user's messages stay together, any chunk size writes the same rows."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from tests.dispatch.factory import add_users, push, sms
from userops.dispatch.engine import enqueue, preflight
from userops.dispatch.evaluate import user_chunks
from userops.dispatch.models import DispatchStep

NOW = 1779933600  # 10:00 in Shanghai


def test_user_chunks_never_split_a_user() -> None:
    items = [(1, "sms", "v"), (2, "sms", "v"), (2, "app_push", "p"), (3, "sms", "v")]
    parts = list(user_chunks(items, 2))
    assert parts == [items[:3], items[3:]]
    assert [x for p in user_chunks(items, 1) for x in p] == items


def _two_channel_step(users: list[int], campaign: str) -> DispatchStep:
    """Each user gets an SMS and a push: the daily cap (1) lets only one of them go now."""
    return DispatchStep(
        campaign_id=campaign,
        step_id="s1",
        contents={"v1": sms(), "p1": push()},
        assignments=[(u, ch, v) for u in users for ch, v in (("sms", "v1"), ("app_push", "p1"))],
    )


def _states(engine: Engine, campaign: str) -> list[tuple[int, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT user_id, channel, state FROM outbox WHERE campaign_id = :c"),
            {"c": campaign},
        )
        return sorted((int(u), str(c), str(s)) for u, c, s in rows)


@pytest.mark.parametrize("chunk", [1, 3, 7])
def test_small_chunks_write_what_one_chunk_writes(sqlite_engine: Engine, chunk: int) -> None:
    first = add_users(sqlite_engine, 9, consent=("sms", "app_push"))
    second = add_users(sqlite_engine, 9, start=101, consent=("sms", "app_push"))
    one = enqueue(sqlite_engine, _two_channel_step(first, "whole"), now_ts=NOW, chunk=10_000)
    many = enqueue(sqlite_engine, _two_channel_step(second, "parts"), now_ts=NOW, chunk=chunk)
    assert (many.pending, many.deferred, many.inserted) == (one.pending, one.deferred, 18)
    assert many.pending == 9  # one message per user now, the other deferred by the cap
    whole = [(u + 100, ch, s) for u, ch, s in _states(sqlite_engine, "whole")]
    assert _states(sqlite_engine, "parts") == whole


def test_preflight_agrees_with_enqueue_across_chunks(sqlite_engine: Engine) -> None:
    users = add_users(sqlite_engine, 5, consent=("sms", "app_push"))
    step = _two_channel_step(users, "pf")
    report = preflight(sqlite_engine, step, now_ts=NOW)
    res = enqueue(sqlite_engine, step, now_ts=NOW, chunk=3)
    assert (report.would_send, report.deferred) == (res.pending, res.deferred) == (5, 5)

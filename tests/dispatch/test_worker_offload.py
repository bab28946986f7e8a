"""The worker's store work runs off its event loop (``asyncio.to_thread``), so the dispatch
node runs under a server that forbids blocking calls on a loop (``langgraph dev``)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from sqlalchemy import Engine, event

from tests.dispatch.doubles import RecordingAdapter
from tests.dispatch.factory import add_users, step
from tests.dispatch.test_worker import DAY_TS, FAST
from userops.dispatch.engine import enqueue
from userops.dispatch.worker import Worker


def test_store_calls_leave_the_loop_thread(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_users(sqlite_engine, 3, consent=("sms",))
    enqueue(sqlite_engine, step([1, 2, 3]), policy=FAST, now_ts=DAY_TS)
    loop_threads: set[int] = set()
    sql_threads: list[int] = []
    real_run = asyncio.run

    def run(coro: Any) -> Any:
        async def marked() -> Any:
            loop_threads.add(threading.get_ident())
            return await coro

        return real_run(marked())

    monkeypatch.setattr("userops.dispatch.worker.asyncio.run", run)

    def listen(*_args: Any) -> None:
        sql_threads.append(threading.get_ident())

    event.listen(sqlite_engine, "before_cursor_execute", listen)
    try:
        adapter = RecordingAdapter("sms")
        stats = Worker(sqlite_engine, {"sms": adapter}, policy=FAST, clock=lambda: DAY_TS).run()
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", listen)
    assert stats["sent"] == 3 and len(loop_threads) == 1
    assert sql_threads and not loop_threads & set(sql_threads)

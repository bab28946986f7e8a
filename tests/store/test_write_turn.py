"""The store's write turn excludes other holders, threads and processes alike, and a
killed holder's turn goes with it."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from pathlib import Path

from sqlalchemy import Engine

from userops.store.engine import make_engine
from userops.store.write_turn import turn_path, write_turn


def _engine(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'store.db'}")


def _try_in_thread(engine: Engine) -> tuple[threading.Event, threading.Event]:
    """Start a thread that takes the turn; return (it holds it, let it go)."""
    got, release = threading.Event(), threading.Event()

    def take() -> None:
        with write_turn(engine):
            got.set()
            release.wait(30)

    threading.Thread(target=take, daemon=True).start()
    return got, release


def test_a_second_holder_waits_until_the_first_lets_go(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    assert turn_path(engine) == (tmp_path / "store.db.write-turn").resolve()
    first, let_first_go = _try_in_thread(engine)
    assert first.wait(10)
    second, let_second_go = _try_in_thread(engine)
    assert not second.wait(0.3)  # held by the first thread of the same process
    let_first_go.set()
    assert second.wait(10)
    let_second_go.set()


def _hold_forever(path: str, ready: multiprocessing.synchronize.Event) -> None:
    with write_turn(make_engine(f"sqlite:///{path}")):
        ready.set()
        threading.Event().wait(600)


def test_a_killed_holder_releases_the_turn(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    child = ctx.Process(target=_hold_forever, args=(str(tmp_path / "store.db"), ready))
    child.start()
    try:
        assert ready.wait(30)
        mine, let_go = _try_in_thread(engine)
        assert not mine.wait(0.3)  # the other process holds it
        os.kill(child.pid or 0, signal.SIGKILL)
        child.join(30)
        assert mine.wait(10)  # the kernel dropped the dead process's lock
        let_go.set()
    finally:
        if child.is_alive():
            child.kill()


def test_no_turn_for_memory_and_postgres_urls() -> None:
    assert turn_path(make_engine("sqlite://")) is None
    assert turn_path(make_engine("postgresql+psycopg://u@127.0.0.1:5432/test")) is None
    with write_turn(make_engine("sqlite://")):
        pass

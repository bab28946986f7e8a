"""A process SIGKILLed in the middle of an approved dispatch; the recovery sweep finishes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text

from agents.graph import make_graph
from agents.runtime.checkpoint import open_checkpointer
from agents.runtime.locks import thread_lock
from agents.runtime.recovery import recover
from agents.runtime.threads import LoopRuntime
from tests.agents.loop_doubles import build_step, seed_users
from tests.recovery.driver import CHUNK, real_deps
from userops.plan import CampaignPlan
from userops.store.models import Consent

ROOT = Path(__file__).resolve().parents[2]
THREAD = "t-kill"


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    seed_users(sqlite_engine, 40)
    grant_sms(sqlite_engine, 40)
    return sqlite_engine


def grant_sms(engine: Engine, n: int) -> None:
    """Everyone has a phone and consents to SMS: the real engine queues the messages."""
    rows = [{"user_id": i, "channel": "sms", "status": "granted", "ts": 0} for i in range(1, n + 1)]
    with engine.begin() as conn:
        conn.execute(insert(Consent.__table__), rows)
        conn.execute(text("UPDATE users SET phone = '13800' || printf('%06d', id)"))


@pytest.fixture
def cp_url(home: Path) -> str:
    return f"sqlite:///{(home / 'checkpoints.db').resolve()}"  # where the CLI and API look


def open_rt(engine: Engine, url: str) -> Iterator[LoopRuntime]:
    with open_checkpointer(url) as saver:
        graph = make_graph(checkpointer=saver)
        yield LoopRuntime(graph, deps=real_deps(engine), engine=engine, lock_url=url)


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def outbox_users(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [int(r[0]) for r in conn.execute(text("SELECT user_id FROM outbox ORDER BY 1"))]


def kill_mid_dispatch(engine: Engine, url: str) -> tuple[str, list[int]]:
    """Start a thread here, approve it in a child process, SIGKILL it after chunk one."""
    for rt in open_rt(engine, url):
        res = rt.start("win back", thread_id=THREAD, actor="olivia")
        assert res.status == "awaiting_approval" and res.approval_id
        approval_id = res.approval_id
        plan = CampaignPlan.model_validate(res.values["plan"])
        step = build_step(engine, plan, plan.steps[0], str(res.values["campaign_id"]))
    expected = sorted(u for u, _c, _v in step.assignments)
    assert len(expected) > 2 * CHUNK
    store_db = str(engine.url.database)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.recovery.driver",
            store_db,
            url.split("///", 1)[1],
            approval_id,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while (scalar(engine, "SELECT count(*) FROM outbox") or 0) < CHUNK:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else b""
            assert time.monotonic() < deadline, "the child never committed its first chunk"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return approval_id, expected


def test_killed_dispatch_is_finished_by_the_sweep(engine: Engine, cp_url: str) -> None:
    approval_id, expected = kill_mid_dispatch(engine, cp_url)
    # What the kill leaves (step 1 of the task): approved, half enqueued, nothing resumes it.
    assert scalar(engine, "SELECT status FROM approvals WHERE id = :a", a=approval_id) == "approved"
    assert outbox_users(engine) == expected[:CHUNK]
    campaign = scalar(engine, "SELECT campaign_id FROM approvals WHERE id = :a", a=approval_id)
    assert scalar(engine, "SELECT status FROM campaigns WHERE id = :c", c=campaign) != "completed"
    for rt in open_rt(engine, cp_url):
        snap = rt.graph.get_state({"configurable": {"thread_id": THREAD}})
        assert snap.next == ("dispatch",) and not snap.interrupts
        assert rt.get(THREAD).status == "awaiting_approval" or snap.values.get("dispatch") is None

        with thread_lock(THREAD, cp_url):  # a run elsewhere holds the thread: hands off
            held = recover(rt)
        assert [(r.thread_id, r.outcome) for r in held] == [(THREAD, "skipped")]
        assert outbox_users(engine) == expected[:CHUNK]

        done = recover(rt)
        assert [(r.thread_id, r.outcome, r.pending) for r in done] == [
            (THREAD, "resumed", ["dispatch"])
        ]
        assert done[0].status == "completed"
        assert outbox_users(engine) == expected  # every recipient exactly once
        with engine.connect() as conn:
            states = {r[0] for r in conn.execute(text("SELECT DISTINCT state FROM outbox"))}
        assert states <= {"pending", "deferred"}  # queued for the worker, none suppressed
        assert scalar(engine, "SELECT status FROM campaigns WHERE id = :c", c=campaign) == (
            "completed"
        )
        assert rt.get(THREAD).values["dispatch"]["sent"] == len(expected) - CHUNK
        assert recover(rt) == []  # nothing left to do


def test_api_start_up_runs_the_sweep(engine: Engine, cp_url: str) -> None:
    from fastapi.testclient import TestClient

    from userops.api.app import create_app

    _approval_id, expected = kill_mid_dispatch(engine, cp_url)
    app = create_app(engine=engine, loop_deps=real_deps(engine))
    with TestClient(app) as client:  # start-up starts the sweep; shutdown waits for it
        assert client.get("/health").status_code == 200
    assert outbox_users(engine) == expected
    for rt in open_rt(engine, cp_url):
        assert rt.get(THREAD).status == "completed"


def test_cli_threads_recover(engine: Engine, cp_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import agents.nodes.wiring
    from userops.cli.main import app

    _approval_id, expected = kill_mid_dispatch(engine, cp_url)
    # the CLI wires the default loop; the thread's plan came from the doubles: same doubles
    monkeypatch.setattr(agents.nodes.wiring, "default_deps", lambda eng, **_kw: real_deps(eng))
    out = CliRunner().invoke(app, ["threads", "recover", "--json"])
    assert out.exit_code == 0, out.output
    done = json.loads(out.stdout)
    assert [(d["thread_id"], d["outcome"], d["pending"]) for d in done] == [
        (THREAD, "resumed", ["dispatch"])
    ]
    assert outbox_users(engine) == expected
    again = CliRunner().invoke(app, ["threads", "recover"])
    assert again.exit_code == 0 and "nothing to recover" in again.stdout

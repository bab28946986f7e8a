"""Background runs with the real ``langgraph-sdk`` client against a live server:
``runs.create`` → ``get`` / ``list`` / ``join`` / ``join_stream``, multitask ``reject``,
and ``cancel`` stopping a run at its next node boundary (before the approval gate)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient
from sqlalchemy import Engine, text

from tests.agents.loop_doubles import TinyPlanner, make_deps, seed_users
from tests.api.conftest import live_server
from userops.accounts import add_user
from userops.api.app import create_app
from userops.settings import Settings


@dataclass
class GatedPlanner(TinyPlanner):
    """Plans only once ``go`` is set (so a test can act while a run is in a node)."""

    go: threading.Event = field(default_factory=threading.Event)
    entered: threading.Event = field(default_factory=threading.Event)

    def plan(self, goal: Any, feedback: Any, previous: Any) -> Any:
        self.entered.set()
        self.go.wait(10)
        return super().plan(goal, feedback, previous)


@dataclass
class Site:
    url: str
    tokens: dict[str, str]
    planner: GatedPlanner
    engine: Engine

    def client(self, name: str) -> SyncLangGraphClient:
        h = {"Authorization": f"Bearer {self.tokens[name]}"}
        return get_sync_client(url=self.url, api_key=None, headers=h)


@pytest.fixture
def gated(sqlite_engine: Engine, home: Path) -> Iterator[Site]:
    seed_users(sqlite_engine, 30)
    tokens = {n: add_user(sqlite_engine, n, r)[1] for n, r in {"olivia": "operator"}.items()}
    tokens["ana"] = add_user(sqlite_engine, "ana", "approver")[1]
    planner = GatedPlanner()
    deps = make_deps(sqlite_engine, planner=planner)
    app = create_app(Settings(home=home, embedding="hashing"), engine=sqlite_engine, loop_deps=deps)
    with live_server(app) as url:
        yield Site(url, tokens, planner, sqlite_engine)
    planner.go.set()


def test_create_get_list_join(gated: Site) -> None:
    olivia = gated.client("olivia")
    olivia.threads.create(thread_id="t-bg")
    run = olivia.runs.create("t-bg", "userops", input={"goal": "win back"}, metadata={"k": 1})
    assert run["status"] in ("pending", "running") and cast(Any, run)["metadata"]["k"] == 1
    assert run["thread_id"] == "t-bg" and cast(Any, run)["kwargs"]["stream_mode"] == ["values"]
    gated.planner.entered.wait(10)
    assert olivia.threads.get("t-bg")["status"] == "busy"
    with pytest.raises(httpx.HTTPStatusError) as err:  # multitask_strategy: reject
        olivia.runs.create("t-bg", "userops", input={"goal": "again"})
    assert err.value.response.status_code == 409
    gated.planner.go.set()
    values = olivia.runs.join("t-bg", run["run_id"])
    assert (
        values["__interrupt__"][0]["id"] == olivia.threads.get_state("t-bg")["interrupts"][0]["id"]
    )
    done = olivia.runs.get("t-bg", run["run_id"])
    assert done["status"] == "success"  # the run ended at the gate; the thread waits
    assert olivia.threads.get("t-bg")["status"] == "interrupted"

    resume = olivia_ana = gated.client("ana")
    second = olivia_ana.runs.create(
        "t-bg", "userops", command={"resume": [{"type": "accept", "args": None}]}
    )
    parts = list(resume.runs.join_stream("t-bg", second["run_id"]))
    assert parts[0].event == "metadata" and parts[0].data["run_id"] == second["run_id"]
    assert [p.event for p in parts[1:]] and {p.event for p in parts[1:]} == {"values"}
    assert parts[-1].data["status"] == "completed"
    listed = olivia.runs.list("t-bg")
    assert [r["run_id"] for r in listed] == [second["run_id"], run["run_id"]]
    assert [r["run_id"] for r in olivia.runs.list("t-bg", status="success", limit=1)] == [
        second["run_id"]
    ]
    with pytest.raises(httpx.HTTPStatusError) as err:
        olivia.runs.get("t-bg", "no-such-run")
    assert err.value.response.status_code == 404


def test_cancel_stops_the_run_before_the_gate(gated: Site) -> None:
    olivia = gated.client("olivia")
    olivia.threads.create(thread_id="t-cancel")
    run = olivia.runs.create("t-cancel", "userops", input={"goal": "win back"})
    assert gated.planner.entered.wait(10)  # the run is inside the plan node
    with pytest.raises(httpx.HTTPStatusError) as err:  # only its starter (or an admin)
        gated.client("ana").runs.cancel("t-cancel", run["run_id"])
    assert err.value.response.status_code == 403
    threading.Timer(0.2, gated.planner.go.set).start()
    olivia.runs.cancel("t-cancel", run["run_id"], wait=True)
    assert olivia.runs.get("t-cancel", run["run_id"])["status"] == "interrupted"
    state = olivia.threads.get_state("t-cancel")
    assert state["interrupts"] == [] and cast(Any, state["values"]).get("approval_id") is None
    with gated.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM approvals")).scalar_one() == 0
    assert olivia.threads.get("t-cancel")["status"] != "interrupted"


def test_a_run_whose_process_stopped_is_settled(gated: Site) -> None:
    olivia = gated.client("olivia")
    olivia.threads.create(thread_id="t-stale")
    with gated.engine.begin() as conn:  # as a killed process leaves it: running, no lock
        conn.execute(
            text(
                "INSERT INTO lg_runs (run_id, thread_id, assistant_id, owner, status, metadata,"
                " kwargs, created_at, updated_at) VALUES ('r-stale', 't-stale', 'userops',"
                " 'olivia', 'running', '{}', '{}', :t, :t)"
            ),
            {"t": datetime(2026, 1, 1, tzinfo=UTC)},
        )
    assert olivia.threads.get("t-stale")["status"] == "idle"
    stale = olivia.runs.get("t-stale", "r-stale")
    assert stale["status"] == "error"
    gated.planner.go.set()
    run = olivia.runs.create("t-stale", "userops", input={"goal": "win back"})  # not a 409
    assert olivia.runs.join("t-stale", run["run_id"])["__interrupt__"]


def test_shutdown_stops_background_runs_cleanly(sqlite_engine: Engine, home: Path) -> None:
    seed_users(sqlite_engine, 30)
    token = add_user(sqlite_engine, "olivia", "operator")[1]
    planner = GatedPlanner()
    deps = make_deps(sqlite_engine, planner=planner)
    app = create_app(Settings(home=home, embedding="hashing"), engine=sqlite_engine, loop_deps=deps)
    with live_server(app) as url:
        h = {"Authorization": f"Bearer {token}"}
        lg = get_sync_client(url=url, api_key=None, headers=h)
        run = lg.runs.create("t-down", "userops", input={"goal": "win back"})
        assert planner.entered.wait(10)
        threading.Timer(0.3, planner.go.set).start()  # the node in progress ends after
    with sqlite_engine.connect() as conn:  # the server has stopped: the run was cancelled
        status = conn.execute(
            text("SELECT status FROM lg_runs WHERE run_id = :r"), {"r": run["run_id"]}
        ).scalar_one()
        approvals = conn.execute(text("SELECT count(*) FROM approvals")).scalar_one()
    assert (status, approvals) == ("interrupted", 0)

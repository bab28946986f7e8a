"""A chat model that stays down answers 503 with Retry-After; the thread can be run again."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from agents.schema import Finding
from tests.agents.loop_doubles import TinyPlanner, make_deps, outbox_count, seed_users
from userops.accounts import add_user
from userops.api.app import create_app
from userops.errors import ModelUnavailable
from userops.plan import CampaignPlan, Goal
from userops.settings import Settings


class FlakyPlanner(TinyPlanner):
    """Raises ModelUnavailable while ``down`` is set, then plans like TinyPlanner."""

    down: bool = True

    def plan(
        self, goal: Goal, feedback: list[Finding], previous: CampaignPlan | None
    ) -> CampaignPlan:
        if self.down:
            raise ModelUnavailable("the chat model did not answer; nothing was planned or sent")
        return super().plan(goal, feedback, previous)


def test_model_down_is_503_and_the_thread_runs_later(sqlite_engine: Engine, home: Path) -> None:
    seed_users(sqlite_engine, 20)
    token = add_user(sqlite_engine, "olivia", "operator")[1]
    planner = FlakyPlanner()
    deps = make_deps(sqlite_engine, planner=planner)
    app = create_app(Settings(home=home, embedding="hashing"), engine=sqlite_engine, loop_deps=deps)
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app, raise_server_exceptions=False) as client:
        body = {"goal": "win back", "thread_id": "t-down"}
        r = client.post("/v1/threads", json=body, headers=auth)
        assert r.status_code == 503, r.text
        assert r.headers["Retry-After"] == "30" and r.json()["retryable"] is True
        assert "nothing was planned or sent" in r.json()["detail"]
        assert outbox_count(sqlite_engine) == 0
        planner.down = False
        again = client.post("/v1/threads/t-down/messages", json={"text": "win back"}, headers=auth)
        assert again.status_code in (200, 201), again.text
        assert again.json()["status"] == "awaiting_approval"

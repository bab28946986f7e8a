"""Run options the server does not carry out are a 422 naming them, not a silently other run.

``after_seconds: 3600`` ran at once, ``if_not_exists: "reject"`` made the thread it was to
refuse, ``checkpoint_id`` ran from the latest checkpoint, ``webhook`` was never called.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from tests.api.conftest import Api

GOAL = {"assistant_id": "userops", "input": {"goal": "win back"}}


def _written(api: Api) -> tuple[int, int]:
    with api.engine.connect() as conn:
        runs = conn.execute(text("SELECT count(*) FROM lg_runs")).scalar_one()
        threads = conn.execute(text("SELECT count(*) FROM lg_threads")).scalar_one()
    return int(runs), int(threads)


@pytest.mark.parametrize("route", ["runs", "runs/wait", "runs/stream"])
@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("after_seconds", 3600),
        ("checkpoint_id", "1f0c-past"),
        ("checkpoint", {"checkpoint_id": "1f0c-past"}),
        ("interrupt_before", ["dispatch"]),
        ("interrupt_after", "*"),
        ("webhook", "https://example.com/hook"),
        ("multitask_strategy", "enqueue"),
        ("multitask_strategy", "zzz"),
        ("if_not_exists", "zzz"),
    ],
)
def test_an_option_not_carried_out_is_a_422_naming_it(
    api: Api, route: str, option: str, value: Any
) -> None:
    body = {**GOAL, option: value}
    r = api.client.post(f"/threads/t-opt/{route}", json=body, headers=api.auth("olivia"))
    assert r.status_code == 422, r.text
    assert [d["loc"] for d in r.json()["detail"]] == [["body", option]]
    assert _written(api) == (0, 0)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("after_seconds", None),
        ("after_seconds", 0),
        ("checkpoint", None),
        ("interrupt_before", []),
        ("multitask_strategy", "reject"),
        ("if_not_exists", "create"),
        ("on_disconnect", "cancel"),
    ],
)
def test_the_defaults_the_sdk_may_send_are_accepted(api: Api, option: str, value: Any) -> None:
    body = {**GOAL, option: value}
    r = api.client.post("/threads/t-ok/runs/wait", json=body, headers=api.auth("olivia"))
    assert r.status_code == 200, r.text


def test_if_not_exists_reject_refuses_a_new_thread_and_runs_a_known_one(api: Api) -> None:
    body = {**GOAL, "if_not_exists": "reject"}
    r = api.client.post("/threads/t-new/runs/wait", json=body, headers=api.auth("olivia"))
    assert r.status_code == 404, r.text
    assert _written(api) == (0, 0)
    made = api.client.post("/threads", json={"thread_id": "t-new"}, headers=api.auth("olivia"))
    assert made.status_code == 200, made.text
    r = api.client.post("/threads/t-new/runs/wait", json=body, headers=api.auth("olivia"))
    assert r.status_code == 200, r.text

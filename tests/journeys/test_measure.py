"""A split measured against its holdout; the winner takes the traffic only when allowed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from tests.dispatch.factory import add_users
from tests.journeys.support import SMS, T0, Clock, add_event, live, rows, runner, spec
from userops.journeys.views import show_journey

DAY = 86400


def _nodes(auto: bool) -> list[dict[str, Any]]:
    def send(i: str) -> dict[str, Any]:
        body = {"variant_id": f"{i}1", "channel": "sms", "body": SMS}
        return {"kind": "send", "id": i, "channels": ["sms"], "variants": [body], "next": "end"}

    split = {
        "kind": "split", "id": "ab", "holdout": 0.2, "auto_winner": auto, "min_per_arm": 30,
        "arms": [{"name": "a", "weight": 1, "next": "sa"},
                 {"name": "b", "weight": 1, "next": "sb"}],
    }  # fmt: skip
    return [split, send("sa"), send("sb"), {"kind": "exit", "id": "end"}]


def _arms(engine: Engine, users: range) -> dict[int, str]:
    got = rows(
        engine,
        "SELECT user_id, outcome, reason FROM journey_steps_done WHERE node_id = 'ab'",
    )
    return {int(u): (r or o) for u, o, r in got if int(u) in users}


@pytest.mark.parametrize("auto", [True, False])
def test_uplift_per_arm_and_the_winner_rule(any_engine: Engine, auto: bool) -> None:
    engine = any_engine  # SQLite and PostgreSQL
    add_users(engine, 400, consent=("sms",))
    jid = live(engine, spec(nodes=_nodes(auto), goal={"event": "Order Completed"}))
    first = range(1, 301)
    for u in first:
        add_event(engine, u, T0 + 1)
    clock = Clock(T0 + 10)
    runner(engine, clock).run_until_idle()
    arms = _arms(engine, first)
    for u, arm in arms.items():  # arm a converts 80 %, b 10 %, the holdout 5 %
        cut = {"a": 80, "b": 10, "holdout": 5}[arm]
        if u % 100 < cut:
            add_event(engine, u, T0 + DAY, "Order Completed")
    clock.now = T0 + 2 * DAY
    r = runner(engine, clock)
    r.run_until_idle()  # the goal events end nobody (all exited); the rule is checked
    m = show_journey(engine, jid)["versions"][0]["measurement"]
    split = m["splits"]["ab"]
    n = {a["arm"]: a["n"] for a in split["arms"]}
    assert n == {
        "a": sum(v == "a" for v in arms.values()),
        "b": sum(v == "b" for v in arms.values()),
    }
    assert split["holdout"]["n"] == sum(v == "holdout" for v in arms.values())
    up = m["uplift"]
    assert up["uplift"] > 0.2 and up["ci"][0] > 0 and up["ci"][0] < up["uplift"] < up["ci"][1]
    assert split["arms"][0]["vs_holdout"]["uplift"] > split["arms"][1]["vs_holdout"]["uplift"]
    assert split["winner"] == "a" and split["winner_recorded"] is auto
    audit = rows(engine, "SELECT actor FROM audit WHERE action = 'journey.split_winner'")
    assert audit == ([("engine",)] if auto else [])

    later = range(301, 401)
    for u in later:
        add_event(engine, u, clock.now + 1)
    clock.now += 10
    r.run_until_idle()
    got = _arms(engine, later)
    assert len(got) == 100 and 5 <= list(got.values()).count("holdout") <= 40
    if auto:  # every new member outside the holdout takes the winner
        assert set(got.values()) == {"a", "holdout"}
    else:  # not allowed by the approval: the weights stand
        assert set(got.values()) == {"a", "b", "holdout"}

"""The forecast for every trigger and node kind: anniversaries, segments, lifecycle changes,
branches, splits, local-time waits, loops and re-entry."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

from tests.dispatch.factory import add_users
from tests.journeys.support import SMS, T0, add_event, set_traits, spec
from userops.journeys.forecast import forecast
from userops.journeys.parse import parse_journey

DAY = 86400


def _sms(node_id: str, nxt: str) -> dict[str, Any]:
    body = {"variant_id": f"{node_id}-v", "channel": "sms", "body": SMS}
    return {"kind": "send", "id": node_id, "channels": ["sms"], "variants": [body], "next": nxt}


def _fc(engine: Engine, **over: Any) -> Any:
    return forecast(engine, parse_journey(spec(**over)), now=T0)


def test_anniversaries_segments_and_lifecycle_changes(any_engine: Engine) -> None:
    add_users(any_engine, 1, consent=("sms",), attributes={"traits": {"birthday": "1990-05-01"}})
    add_users(any_engine, 1, start=2, attributes={"traits": {"birthday": "1985-12-01"}})
    add_users(any_engine, 2, start=3, consent=("sms",))
    end = [{"kind": "exit", "id": "end"}]
    birthday = {"kind": "anniversary", "date": "birthday", "at": "10:00"}
    fc = _fc(any_engine, trigger=birthday, nodes=[_sms("hb", "end"), *end])
    assert fc.entries == 1  # 1 May is in the 90 days before 28 May; 1 December is not
    first = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    days_back = (T0 - int(first.timestamp())) // DAY
    assert fc.daily_entries[fc.days - 1 - days_back] == 1
    assert (fc.messages, fc.collisions.quiet_hours) == (1, 0)  # sent at 10:00 local

    for u in (3, 4):
        set_traits(any_engine, u, ltv_tier="high")
    seg = {
        "kind": "segment",
        "segment": {"all": [{"field": "ltv_tier", "op": "=", "value": "high"}]},
    }
    fc = _fc(any_engine, trigger=seg, nodes=end)
    assert fc.entries == 2 and fc.findings[0] == {"code": "segment_history", "n": 2}

    with any_engine.begin() as conn:
        for u, frm in ((3, "mature"), (4, "new")):
            conn.execute(
                text(
                    "INSERT INTO events (user_id, type, ts, properties)"
                    " VALUES (:u, 'lifecycle_stage_changed', :t, :p)"
                ),
                {"u": u, "t": T0 - 5 * DAY, "p": json.dumps({"from": frm, "to": "churn_risk"})},
            )
    lc = {"kind": "lifecycle", "to": ["churn_risk"], "from": ["mature"]}
    assert _fc(any_engine, trigger=lc, nodes=end).entries == 1


def test_branches_splits_local_waits_loops_and_reentry(any_engine: Engine) -> None:
    add_users(any_engine, 100, consent=("sms",))
    for u in range(1, 101):
        set_traits(any_engine, u, ltv_tier="high" if u <= 20 else "low")
        add_event(any_engine, u, T0 - 30 * DAY)
        add_event(any_engine, u, T0 - 10 * DAY)  # a second sign-up, 20 days later
    branch = {
        "kind": "branch", "id": "vip", "otherwise": "ab",
        "cases": [{"trait": {"field": "ltv_tier", "op": "=", "value": "high"}, "next": "late"}],
    }  # fmt: skip
    split = {"kind": "split", "id": "ab", "holdout": 0.2,
             "arms": [{"name": "a", "weight": 1, "next": "sa"},
                      {"name": "b", "weight": 1, "next": "sb"}]}  # fmt: skip
    late = {"kind": "wait", "id": "late", "until": {"time": "09:00", "weekdays": ["mon"]},
            "next": "sv"}  # fmt: skip
    nodes = [branch, split, late, _sms("sv", "end"), _sms("sa", "end"), _sms("sb", "end"),
             {"kind": "exit", "id": "end"}]  # fmt: skip
    fc = _fc(any_engine, nodes=nodes)
    n = fc.nodes
    assert fc.entries == 100  # re-entry "never": the second sign-ups do not enter
    assert n["vip"].entered == 100 and n["late"].entered == 20 and n["ab"].entered == 80
    assert n["sv"].sent == 20 and n["sa"].sent + n["sb"].sent + n["ab"].exited["holdout"] == 80
    assert 5 <= n["ab"].exited["holdout"] <= 30 and n["sa"].sent > 10 and n["sb"].sent > 10
    # sign-ups at 04:26 local: the arms' sends fall in quiet hours; Monday 09:00 does not
    assert fc.collisions.quiet_hours == n["sa"].sent + n["sb"].sent and n["sv"].deferred == {}
    assert "branch_traits_now" in [f["code"] for f in fc.findings]

    again = _fc(any_engine, nodes=nodes, reentry={"policy": "after", "days": 15})
    assert again.entries == 200  # 20 days apart: both sign-ups enter
    assert _fc(any_engine, nodes=nodes, reentry={"policy": "after", "days": 25}).entries == 100

    loop = [  # a monthly reminder until the window's end
        _sms("remind", "w"),
        {"kind": "wait", "id": "w", "duration": {"days": 7}, "next": "remind"},
    ]
    fc = _fc(any_engine, nodes=loop, limits={"per_entry": 3})
    assert fc.nodes["remind"].entered == 100 * 5  # days 30, 23, 16, 9, 2 before now
    assert fc.nodes["w"].waiting == 100 and fc.messages == 300
    assert fc.nodes["remind"].suppressed == {"journey_limit": 200}

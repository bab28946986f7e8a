"""Node kinds and triggers: branch, split with holdout, local-time waits, anniversaries,
segment entry, lifecycle changes, channel and persona choice, message limits, loops."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

from tests.dispatch.factory import add_users
from tests.journeys.support import (
    SMS,
    T0,
    Clock,
    add_event,
    live,
    members,
    rows,
    runner,
    set_traits,
    spec,
)
from userops.journeys.views import show_journey

DAY = 86400


def _sms(node_id: str, nxt: str, **kw: Any) -> dict[str, Any]:
    body = {"variant_id": f"{node_id}-v", "channel": "sms", "body": SMS}
    return {
        "kind": "send",
        "id": node_id,
        "channels": ["sms"],
        "variants": [body],
        "next": nxt,
        **kw,
    }


def _end(node_id: str = "end") -> dict[str, Any]:
    return {"kind": "exit", "id": node_id}


def _steps(engine: Engine) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for u, s in rows(engine, "SELECT user_id, step_id FROM outbox ORDER BY id"):
        out.setdefault(int(u), []).append(str(s))
    return out


def test_branch_on_a_trait_and_a_split_with_holdout(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 200, consent=("sms",))
    for u in range(1, 201):
        set_traits(sqlite_engine, u, ltv_tier="high" if u <= 50 else "low")
    split = {
        "kind": "split",
        "id": "ab",
        "holdout": 0.2,
        "arms": [
            {"name": "a", "weight": 1, "next": "sa"},
            {"name": "b", "weight": 1, "next": "sb"},
        ],
    }
    branch = {
        "kind": "branch",
        "id": "vip",
        "cases": [{"trait": {"field": "ltv_tier", "op": "=", "value": "high"}, "next": "svip"}],
        "otherwise": "ab",
    }
    nodes = [branch, split, _sms("svip", "end"), _sms("sa", "end"), _sms("sb", "end"), _end()]
    jid = live(sqlite_engine, spec(nodes=nodes))
    for u in range(1, 201):
        add_event(sqlite_engine, u, T0 + 1)
    runner(sqlite_engine, Clock(T0 + 10)).run_until_idle()
    steps = _steps(sqlite_engine)
    assert all(steps[u] == ["svip#1"] for u in range(1, 51))
    held = [u for u, m in members(sqlite_engine).items() if m[2] == "holdout"]
    arms = {u: s[0] for u, s in steps.items() if u > 50}
    assert 15 <= len(held) <= 45 and not set(held) & set(arms)  # 20 % of 150, never sent
    assert len(held) + len(arms) == 150
    a = sum(1 for s in arms.values() if s == "sa#1")
    assert 40 <= a <= len(arms) - 40
    nodes_out = show_journey(sqlite_engine, jid)["versions"][0]["nodes"]
    assert nodes_out["vip"]["outcomes"] == {"to:svip": 50, "to:ab": 150}
    assert nodes_out["ab"]["outcomes"] == {"arm:a": a, "arm:b": len(arms) - a, "holdout": len(held)}
    assert nodes_out["ab"]["exited"] == {"holdout": len(held)}


def test_wait_until_a_local_time_in_the_users_zone(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 1, tz="Asia/Shanghai", consent=("sms",))
    add_users(sqlite_engine, 1, start=2, tz="America/New_York", consent=("sms",))
    wait = {
        "kind": "wait",
        "id": "w",
        "until": {"time": "09:00", "weekdays": ["mon"]},
        "next": "end",
    }
    live(sqlite_engine, spec(nodes=[wait, _end()]))
    for u in (1, 2):
        add_event(sqlite_engine, u, T0 + 1)
    runner(sqlite_engine, Clock(T0 + 10)).run_until_idle()
    due = dict(rows(sqlite_engine, "SELECT user_id, due_ts FROM journey_members"))
    # T0 is Friday 2026-05-29 04:26 in Shanghai, Thursday 16:26 in New York
    assert due[1] == int(datetime(2026, 6, 1, 1, 0, tzinfo=UTC).timestamp())  # Mon 09:00 +08
    assert due[2] == int(datetime(2026, 6, 1, 13, 0, tzinfo=UTC).timestamp())  # Mon 09:00 -04


def test_birthday_and_signup_anniversaries_enter_once_at_local_time(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 1, consent=("sms",), attributes={"traits": {"birthday": "1990-05-30"}})
    add_users(sqlite_engine, 1, start=2, attributes={"traits": {"birthday": "1985-02-01"}})
    trig = {"kind": "anniversary", "date": "birthday", "at": "10:00"}
    live(sqlite_engine, spec(trigger=trig, nodes=[_sms("hb", "end"), _end()]))
    ten = int(datetime(2026, 5, 30, 2, 0, tzinfo=UTC).timestamp())  # 10:00 in Shanghai
    clock = Clock(ten - 600)
    runner(sqlite_engine, clock).run_until_idle()
    assert members(sqlite_engine) == {}
    for step in (900, 900, 900):
        clock.now += step
        runner(sqlite_engine, clock).run_until_idle()
    assert rows(sqlite_engine, "SELECT user_id, entry_key FROM journey_members") == [
        (1, "a:1:2026")
    ]
    assert _steps(sqlite_engine) == {1: ["hb#1"]}
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE users SET created_ts = :t WHERE id = 2"), {"t": ten - 365 * DAY})
    trig2 = {"kind": "anniversary", "date": "signup", "at": "10:00"}
    live(sqlite_engine, spec(trigger=trig2, nodes=[_end()], name="signup"), now=ten - 600)
    runner(sqlite_engine, Clock(ten + 300)).run_until_idle()
    got = rows(sqlite_engine, "SELECT user_id, entry_key FROM journey_members ORDER BY id")
    assert got[-1] == (2, "a:2:2026")  # a year after sign-up (user 1 signed up in 1970)


def test_segment_entry_and_lifecycle_change(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 3, consent=("sms",))
    for u in (1, 2, 3):
        set_traits(sqlite_engine, u, ltv_tier="high" if u == 1 else "low")
    seg = {"all": [{"field": "ltv_tier", "op": "=", "value": "high"}]}
    trig = {"kind": "segment", "segment": seg, "every_minutes": 5}
    live(sqlite_engine, spec(trigger=trig, nodes=[_end()]))
    clock = Clock(T0 + 10)
    runner(sqlite_engine, clock).run_until_idle()
    assert members(sqlite_engine) == {}  # already inside at the first check: not an entry
    set_traits(sqlite_engine, 2, ltv_tier="high")
    clock.now += 60
    runner(sqlite_engine, clock).run_until_idle()
    assert members(sqlite_engine) == {}  # not checked again before five minutes
    clock.now += 300
    runner(sqlite_engine, clock).run_until_idle()
    assert members(sqlite_engine) == {2: ("end", "exited", "completed")}

    trig2 = {"kind": "lifecycle", "to": ["churn_risk"], "from": ["mature"]}
    jid = live(sqlite_engine, spec(trigger=trig2, nodes=[_end("bye")], name="lc"))
    for u, frm in ((1, "mature"), (3, "new")):
        body = json.dumps({"from": frm, "to": "churn_risk"})
        with sqlite_engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO events (user_id, type, ts, properties)"
                    " VALUES (:u, 'lifecycle_stage_changed', :t, :p)"
                ),
                {"u": u, "t": clock.now, "p": body},
            )
    runner(sqlite_engine, clock).run_until_idle()
    got = rows(sqlite_engine, "SELECT user_id FROM journey_members WHERE journey_id = :j", j=jid)
    assert got == [(1,)]


def test_channel_persona_and_limits(sqlite_engine: Engine) -> None:
    add_users(sqlite_engine, 3, consent=("sms", "app_push"))
    set_traits(sqlite_engine, 1, preferred_channel="app_push", content_affinity="offer")
    set_traits(sqlite_engine, 2, preferred_channel="email", content_affinity="social")
    push = {"channel": "app_push", "title": "hi", "body": "{name}"}
    send = {
        "kind": "send",
        "id": "s",
        "channels": ["sms", "app_push"],
        "variants": [
            {"variant_id": "sms-d", "channel": "sms", "body": SMS},
            {"variant_id": "push-d", **push},
            {"variant_id": "push-o", "persona": "offer", **push},
        ],
        "next": "w",
    }
    wait = {"kind": "wait", "id": "w", "duration": {"hours": 1}, "next": "s"}  # a loop
    limits = {"per_entry": 2, "per_user": {"count": 3, "days": 7}}
    live(sqlite_engine, spec(nodes=[send, wait], limits=limits))
    for u in (1, 2, 3):
        add_event(sqlite_engine, u, T0 + 1)
    clock = Clock(T0 + 10)
    for _ in range(4):
        runner(sqlite_engine, clock).run_until_idle()
        clock.now += 3601
    got = rows(sqlite_engine, "SELECT user_id, channel, variant, step_id FROM outbox ORDER BY id")
    first = {int(r[0]): (r[1], r[2]) for r in got if r[3] == "s#1"}
    assert first == {1: ("app_push", "push-o"), 2: ("sms", "sms-d"), 3: ("sms", "sms-d")}
    assert sorted({str(r[3]) for r in got}) == ["s#1", "s#1.1"]  # the 2nd visit; then the limit
    done = rows(
        sqlite_engine,
        "SELECT visit, outcome, reason FROM journey_steps_done WHERE user_id = 1 ORDER BY id",
    )
    assert [tuple(d) for d in done][:5] == [
        (0, "send", None),
        (0, "waited", None),
        (1, "send", None),
        (1, "waited", None),
        (2, "suppressed", "journey_limit"),
    ]

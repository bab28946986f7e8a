"""The forecast replays a spec over the stored history; the card shows it before approval."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, text

from tests.dispatch.factory import add_users
from tests.journeys.support import SMS, T0, add_event, rows, spec
from userops.journeys.forecast import forecast
from userops.journeys.graph import mermaid
from userops.journeys.parse import parse_journey
from userops.journeys.records import create_journey
from userops.journeys.views import show_journey

DAY = 86400
DAY0 = (T0 - 30 * DAY) // DAY * DAY  # a UTC midnight 30 days before "now" (T0)


def _history(engine: Engine) -> None:
    """40 sign-ups over 20 days: even users at 12:00 Shanghai, odd ones at 23:00 (quiet).

    Users 1-10 order two days after signing up (inside the wait-for-event's 3 days, after
    the 1-day wait); user 50 signed up 100 days ago (outside the window).
    """
    add_users(engine, 60, consent=("sms",))
    for u in range(1, 41):
        ts = DAY0 + (u // 2) * DAY + (4 if u % 2 == 0 else 15) * 3600
        add_event(engine, u, ts)
        if u <= 10:
            add_event(engine, u, ts + 2 * DAY, "Order Completed")
    add_event(engine, 50, T0 - 100 * DAY)


def test_the_backtest_counts_entries_paths_messages_cost_and_quiet_hours(
    any_engine: Engine,
) -> None:
    _history(any_engine)
    fc = forecast(any_engine, parse_journey(spec()), now=T0)
    assert fc.entries == 40 and sum(fc.daily_entries) == 40 and fc.entries_max_day == 2
    n = fc.nodes
    assert (n["hello"].entered, n["hello"].sent) == (40, 40)
    assert n["order"].outcomes == {"happened": 10, "timed_out": 30}
    assert (n["nudge"].sent, n["thanks"].exited, n["done"].exited) == (
        30, {"ordered": 10}, {"completed": 30},
    )  # fmt: skip
    assert fc.messages == 70 and fc.recipients == 40 and fc.max_messages_user_7d == 2
    assert fc.cost_total == 3.5 and fc.cost_by_channel == {"sms": 3.5}  # 0.05 per SMS
    assert fc.cost_per_month == round(3.5 * 30 / 90, 4)
    # odd users' sends fall at 23:00 local: 20 welcomes, 15 nudges (odd users among 11-40)
    assert fc.collisions.quiet_hours == 35
    assert n["hello"].deferred == {"quiet_hours": 20}
    assert fc.goal_exits == 0 and fc.collisions.frequency_cap == 0
    edges = {(e["from"], e["to"]): e["count"] for e in fc.graph["edges"]}
    assert edges[("order", "thanks")] == 10 and edges[("order", "nudge")] == 30
    assert 'order -->|"happened · 10"| thanks' in mermaid(fc.graph)


def test_goal_exits_caps_limits_and_other_journeys(any_engine: Engine) -> None:
    _history(any_engine)
    nodes = [
        {"kind": "send", "id": "a", "channels": ["sms"], "next": "w",
         "variants": [{"variant_id": "a1", "channel": "sms", "body": SMS}]},
        {"kind": "wait", "id": "w", "duration": {"days": 3}, "next": "b"},
        {"kind": "send", "id": "b", "channels": ["sms"], "next": "w2",
         "variants": [{"variant_id": "b1", "channel": "sms", "body": SMS}]},
        {"kind": "wait", "id": "w2", "duration": {"hours": 1}, "next": "c"},
        {"kind": "send", "id": "c", "channels": ["sms"], "next": "end",
         "variants": [{"variant_id": "c1", "channel": "sms", "body": SMS}]},
        {"kind": "exit", "id": "end"},
    ]  # fmt: skip
    other = str(create_journey(any_engine, parse_journey(spec()), actor="ops")["id"])
    with any_engine.begin() as conn:  # users 1-5 were in another journey at entry
        vid = conn.execute(text("SELECT id FROM journey_versions")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO journey_members (version_id, journey_id, user_id, entry_no,"
                " entry_key, node_id, visit, state, due_ts, entered_ts, since_ts, entry_event,"
                " node_event, sends, exited_ts) VALUES (:v, :j, :u, 1, :k, 'x', 0,"
                " 'exited', 0, :a, :a, 0, 0, 0, :b)"
            ),
            [{"u": u, "k": f"k{u}", "a": DAY0, "b": T0, "v": vid, "j": other} for u in range(1, 6)],
        )
    data = spec(nodes=nodes, goal={"event": "Order Completed"}, limits={"per_entry": 2})
    fc = forecast(any_engine, parse_journey(data), now=T0)
    n = fc.nodes
    # users 1-10 order on day 2, during the 3-day wait: they convert there
    assert n["w"].converted == 10 and n["w"].exited == {"goal": 10} and fc.goal_exits == 10
    assert fc.goal_rate == 0.25
    assert {g["id"]: g["converted"] for g in fc.graph["nodes"]}["w"] == 10
    assert 'w -.->|"goal · 10"| GOAL' in mermaid(fc.graph)
    assert n["b"].entered == 30 and n["c"].entered == 30
    assert n["c"].suppressed == {"journey_limit": 30} and n["c"].sent == 0  # 2 per entry
    assert fc.messages == 40 + 30
    # c would be the 2nd message in 24 h (the policy caps 1 a day) but the limit stopped it;
    # b comes 3 days after a: no collision
    assert fc.collisions.frequency_cap == 0
    assert fc.collisions.other_journeys == 5
    assert fc.collisions.other_journeys_by_id == {other: 5}
    data = spec(nodes=nodes, goal={"event": "Order Completed"})
    fc = forecast(any_engine, parse_journey(data), now=T0)
    assert fc.collisions.frequency_cap == 30 and fc.nodes["c"].deferred["frequency_cap"] == 30
    assert {"code": "frequency_cap", "n": 30, "messages": 100} in fc.findings


def test_the_card_of_a_version_awaiting_approval_and_nothing_runs(any_engine: Engine) -> None:
    _history(any_engine)
    jid = str(create_journey(any_engine, parse_journey(spec()), actor="ops")["id"])
    got = show_journey(any_engine, jid, lang="en", now=T0)
    v = got["versions"][0]
    assert v["status"] == "awaiting_approval"
    assert v["forecast"]["entries"] == 40 and v["forecast"]["messages"] == 70
    assert v["forecast"]["findings_text"] == [
        "35 messages would have fallen in local quiet hours (deferred to the morning)."
    ]
    assert {n["id"]: n["count"] for n in v["graph"]["nodes"]}["nudge"] == 30
    assert "finish on the version they entered" in v["card"]["in_flight"]
    assert rows(any_engine, "SELECT count(*) FROM journey_members") == [(0,)]
    assert rows(any_engine, "SELECT count(*) FROM outbox") == [(0,)]


def test_cli_forecast_and_show_print_the_backtest_and_the_graph(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    import json as _json

    from typer.testing import CliRunner

    from userops.cli.main import app

    add_users(sqlite_engine, 5, consent=("sms",))
    now = int(time.time())
    for u in range(1, 4):  # 3 sign-ups in the last days, user 1 orders the next day
        add_event(sqlite_engine, u, now - (10 - u) * DAY)
    add_event(sqlite_engine, 1, now - 8 * DAY + 3600, "Order Completed")
    jid = str(create_journey(sqlite_engine, parse_journey(spec()), actor="ops")["id"])
    cli = CliRunner()
    res = cli.invoke(app, ["journeys", "forecast", jid, "--json", "--lang", "en"])
    assert res.exit_code == 0, res.output
    got = _json.loads(res.stdout)
    assert (got["entries"], got["nodes"]["order"]["outcomes"]) == (
        3, {"happened": 1, "timed_out": 2},
    )  # fmt: skip
    res = cli.invoke(app, ["journeys", "forecast", jid, "--mermaid"])
    assert res.exit_code == 0 and 'order -->|"timed out · 2"| nudge' in res.stdout
    res = cli.invoke(app, ["journeys", "show", jid, "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "entries 3" in res.stdout and "finish on the version they entered" in res.stdout
    assert "[order] wait for Order Completed up to 3d  (3)" in res.stdout
    path = tmp_path / "w.json"
    path.write_text(_json.dumps(spec()), encoding="utf-8")
    res = cli.invoke(app, ["journeys", "create", str(path), "--as", "ops"])
    assert res.exit_code == 0, res.output
    assert "version 1 awaits approval" in res.stdout and "entries 3 (" in res.stdout

"""Timers on PostgreSQL: members at a wait, a split or an exit are locked and moved in one
transaction (no lease), by several workers at once, each node exactly once per member."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, text

from tests.dispatch.factory import add_users
from tests.journeys.support import SMS, T0, Clock, live, members, rows, runner

DAY = 86_400
SPEC = {
    "name": "timers",
    "trigger": {"kind": "event", "event": "Signed Up"},
    "nodes": [
        {"kind": "wait", "id": "w", "duration": {"days": 1}, "next": "ab"},
        {"kind": "split", "id": "ab", "arms": [
            {"name": "a", "weight": 1, "next": "done"},
            {"name": "b", "weight": 1, "next": "hi"}]},
        {"kind": "send", "id": "hi", "channels": ["sms"], "next": "done",
         "variants": [{"variant_id": "h", "channel": "sms", "body": SMS}]},
        {"kind": "exit", "id": "done"},
    ],
}  # fmt: skip


def _seed(engine: Engine, n: int) -> str:
    """``n`` users with SMS consent, all waiting at ``w`` and due at ``T0 + DAY``."""
    add_users(engine, n, consent=("sms",))
    jid = live(engine, SPEC)
    with engine.begin() as conn:
        vid = conn.execute(
            text("SELECT id FROM journey_versions WHERE journey_id = :j"), {"j": jid}
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO journey_members (version_id, journey_id, user_id, entry_no,"
                " entry_key, node_id, visit, state, due_ts, entered_ts, since_ts, entry_event,"
                " node_event, sends) VALUES (:v, :j, :u, 1, :k, 'w', 0, 'active', :d, :e, :e,"
                " 0, 0, 0)"
            ),
            [
                {"v": vid, "j": jid, "u": u, "k": f"t{u}", "d": T0 + DAY, "e": T0}
                for u in range(1, n + 1)
            ],
        )
    return jid


def test_three_workers_take_each_timer_once(pg_engine: Engine) -> None:
    n = 600
    _seed(pg_engine, n)
    with pg_engine.begin() as conn:  # a worker died holding these: its lease has lapsed
        conn.execute(
            text(
                "UPDATE journey_members SET lease_owner = 'dead', lease_until_ts = :t"
                " WHERE user_id <= 50"
            ),
            {"t": T0 + 60},
        )
    clock = Clock(T0 + DAY + 5)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            runner(pg_engine, clock, batch_size=40).run_until_idle()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert set(members(pg_engine).values()) == {("done", "exited", "completed")}
    steps = rows(pg_engine, "SELECT user_id, node_id, next_node FROM journey_steps_done")
    by_user: dict[int, list[tuple[str, str | None]]] = {}
    for u, node, nxt in steps:
        by_user.setdefault(int(u), []).append((node, nxt))
    assert len(by_user) == n
    sent = {int(r[0]) for r in rows(pg_engine, "SELECT user_id FROM outbox")}
    for u, path in by_user.items():
        arm = dict(path)["ab"]
        want = {("w", "ab"), ("ab", arm), ("done", None)} | (
            {("hi", "done")} if arm == "hi" else set()
        )
        assert sorted(path, key=str) == sorted(want, key=str), u
        assert (u in sent) == (arm == "hi"), u
    assert len(rows(pg_engine, "SELECT user_id FROM outbox")) == len(sent)  # one message each
    assert 0 < len(sent) < n
    leased = rows(pg_engine, "SELECT count(*) FROM journey_members WHERE lease_owner IS NOT NULL")
    assert leased[0][0] == 0


def test_a_row_locked_elsewhere_is_skipped_then_taken(pg_engine: Engine) -> None:
    _seed(pg_engine, 3)
    clock = Clock(T0 + DAY + 5)
    other = pg_engine.connect()
    tx = other.begin()
    other.execute(text("SELECT id FROM journey_members WHERE user_id = 2 FOR UPDATE"))
    runner(pg_engine, clock).run_until_idle()
    got = members(pg_engine)
    assert got[2] == ("w", "active", None)  # skipped while another transaction holds it
    assert got[1][1] == got[3][1] == "exited"
    tx.rollback()
    other.close()
    runner(pg_engine, clock).run_until_idle()
    assert members(pg_engine)[2][1] == "exited"
    assert (
        rows(
            pg_engine, "SELECT count(*) FROM journey_steps_done WHERE user_id = 2 AND node_id = 'w'"
        )[0][0]
        == 1
    )

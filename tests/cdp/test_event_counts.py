"""``event_counts`` (kept by the triggers of migration 0018) equals a recount of ``events``
after every kind of writer: file import, real-time ingest (with retries that store nothing),
plain inserts (seed, feedback), an update moving events, deletes, identity merges and an
erasure; on SQLite and PostgreSQL. The preview's count predicates read it and select the
same users as the counts grouped from the events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, delete, insert, select, text, update

from tests.cdp.import_support import IMPORT_DATA
from tests.cdp.stream.support import send, sender
from userops.cdp.dsr.erase import erase_person
from userops.cdp.identity.resolve import resolve_identities
from userops.cdp.ingest.importer import import_file
from userops.cdp.sample.write import bulk_load
from userops.cdp.segments.service import parse_spec, segment_user_ids
from userops.cdp.segments.sql import spec_condition, traits
from userops.cdp.segments.temp_ids import TempIds
from userops.store.models import Event, Trait, User


def _stored(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        got = conn.execute(text("SELECT type, user_id, n FROM event_counts ORDER BY 1, 2"))
        return [tuple(r) for r in got]


def _recount(engine: Engine) -> list[tuple[Any, ...]]:
    sql = "SELECT type, user_id, count(*) FROM events GROUP BY type, user_id ORDER BY 1, 2"
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def _order(uid: str, mid: str) -> dict[str, Any]:
    return {"type": "track", "userId": uid, "event": "Order Completed", "messageId": mid}


def _check(engine: Engine) -> None:
    stored = _stored(engine)
    assert stored == _recount(engine)
    assert all(n > 0 for *_, n in stored)


def test_counts_follow_every_writer(any_engine: Engine) -> None:
    import_file(any_engine, "users", IMPORT_DATA / "users.csv")  # merges records too
    import_file(any_engine, "events", IMPORT_DATA / "events.csv")
    import_file(any_engine, "events", IMPORT_DATA / "events.jsonl")  # one repeat, one new
    _check(any_engine)
    assert _stored(any_engine)
    who = sender(any_engine)
    orders = [_order(u, f"m{u}{i}") for u in ("u1", "u2") for i in range(3)]
    out = send(any_engine, who, *orders, {"type": "page", "userId": "u1", "messageId": "p1"})
    assert out.stored == 7
    assert send(any_engine, who, *orders[:2]).stored == 0  # retries: nothing stored
    _check(any_engine)
    with any_engine.begin() as conn:
        uid = conn.execute(select(User.id).where(User.external_id == "app-1")).scalar_one()
        plain = [{"user_id": uid, "type": "order", "ts": 1_700_000_000 + i} for i in range(4)]
        conn.execute(insert(Event), plain)  # as the seed, feedback and journeys write
        some = select(Event.id).where(Event.user_id == uid, Event.type == "order").limit(2)
        first, second = conn.execute(some).scalars().all()
        conn.execute(update(Event).where(Event.id == first).values(type="refund"))
        conn.execute(delete(Event).where(Event.id == second))
        other = select(Event.id).where(Event.user_id != uid).limit(1).scalar_subquery()
        conn.execute(update(Event).where(Event.id == other).values(user_id=uid))
    _check(any_engine)
    resolve_identities(any_engine)
    _check(any_engine)
    counts = dict(((t, u), n) for t, u, n in _stored(any_engine))
    assert counts[("order", uid)] >= 3
    res = erase_person(any_engine, uid, "root")
    assert res.status == "erased"
    _check(any_engine)
    assert not [r for r in _stored(any_engine) if r[1] == uid]


def test_stored_counts_select_what_the_events_do(any_engine: Engine) -> None:
    """Records merged into others: the stored per-record counts add up per canonical user."""
    users = [{"id": i, "external_id": f"s{i}", "created_ts": 0} for i in range(1, 41)]
    rows = [
        {"user_id": i, "as_of_ts": 0, "language": "zh", "timezone": "Asia/Shanghai",
         "lifecycle_stage": "mature", "ltv_tier": "mid", "churn_risk": 0.5, "ltv_12m": 9.0,
         "reachable_channels": ",sms,", "interests": "", "summary": f"profile {i}",
         "days_since_signup": 100, "rfm_segment": "loyal", "p_alive": 0.5,
         "expected_orders_90d": 1.0, "content_affinity": "offer"}
        for i in range(1, 41)
    ]  # fmt: skip
    # user i has i % 5 orders; records 31-40 are merged into 1-10 (some then pass, some not)
    events = [{"user_id": i, "type": "order", "ts": k} for i in range(1, 41) for k in range(i % 5)]
    with any_engine.begin() as conn:
        conn.execute(insert(User), users)
        conn.execute(insert(Trait), rows)
        conn.execute(insert(Event), events)
        for i in range(31, 41):
            conn.execute(update(User).where(User.id == i).values(merged_into=i - 30))
    for op, value in ((">=", 3), ("<", 2), ("=", 0), ("!=", 4), (">", 5)):
        spec = parse_spec({"all": [{"event": "order", "count": {"op": op, "value": value}}]})
        want = segment_user_ids(any_engine, spec)  # counts grouped from the events
        with any_engine.connect() as conn:
            temp = TempIds(conn)
            cond = spec_condition(spec, counts=temp)
            got = conn.execute(select(traits.c.user_id).where(cond).order_by(traits.c.user_id))
            ids = [int(i) for i in got.scalars()]
            temp.drop()
        assert ids == want, (op, value)
    spec = parse_spec({"all": [{"event": "order", "count": {"op": ">=", "value": 5}}]})
    assert segment_user_ids(any_engine, spec) == [3, 4, 8, 9]  # 3+3 or 4+4 (records 33-39)


def test_bulk_load_recounts_and_keeps_the_triggers(any_engine: Engine) -> None:
    """The seed's bulk load (SQLite: triggers dropped for the load, one recount after)."""
    with any_engine.begin() as conn:
        conn.execute(
            insert(User), [{"id": i, "external_id": f"b{i}", "created_ts": 0} for i in (1, 2)]
        )
        conn.execute(insert(Event), [{"user_id": 1, "type": "visit", "ts": 0}])
    with bulk_load(any_engine) as writer:
        writer.execute("DELETE FROM events")
        rows = [(1 + i % 2, "order" if i % 3 else "visit", i) for i in range(10)]
        writer.write("events", ("user_id", "type", "ts"), rows)
    _check(any_engine)
    assert _stored(any_engine) == [
        ("order", 1, 3),
        ("order", 2, 3),
        ("visit", 1, 2),
        ("visit", 2, 2),
    ]
    with any_engine.begin() as conn:  # the triggers are back
        conn.execute(insert(Event), [{"user_id": 2, "type": "visit", "ts": 0}])
    _check(any_engine)

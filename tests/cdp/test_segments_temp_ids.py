"""The preview's once-per-preview event ids (temporary tables) select the same users as the
inline subqueries, on generated data, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import Engine, insert, select, text, update

from tests.cdp import segment_fixture as fx
from userops.cdp.segments.service import parse_spec, preview_segment, segment_user_ids
from userops.cdp.segments.sql import spec_condition, traits
from userops.cdp.segments.temp_ids import TempIds
from userops.store.models import Event, Trait, User

N_USERS = 120
OWNERS = [i for i in range(1, N_USERS + 1) if i != 3]
TYPES = ("order", "page_view", "message_clicked")
SPECS: list[dict[str, Any]] = [
    {"all": [{"event": "order"}]},
    {"all": [{"event": "order", "within_days": 30}]},
    {"all": [{"event": "order", "count": {"op": ">=", "value": 3}}]},
    {"all": [{"event": "page_view", "count": {"op": "=", "value": 2}, "within_days": 200}]},
    {"all": [{"event": "order", "count": {"op": "<", "value": 2}}]},
    {"all": [{"event": "order", "count": {"op": "<=", "value": 0}}]},
    {"all": [{"event": "page_view", "where": {"page": "refill"}, "within_days": 90}]},
    {"any": [{"event": "order", "within_days": 10}, {"event": "message_clicked"}]},
    {
        "all": [{"field": "ltv_tier", "op": "=", "value": "high"}],
        "none": [{"event": "message_clicked", "within_days": 90}],
    },
    {"none": [{"event": "order", "count": {"op": "!=", "value": 1}}]},
    {
        "all": [{"event": "order", "count": {"op": ">", "value": 1}}],
        "any": [{"event": "page_view", "within_days": 60}],
        "none": [{"event": "order", "within_days": 5}],
        "limit": 7,
    },
]


def _load(engine: Engine) -> None:
    """Users (every 10th merged into another), traits for all, ~900 random events.

    User 3 has no events of its own, only those of record 80 merged into it.
    """
    rng = random.Random(5)
    users = [
        {"id": i, "external_id": f"g{i}", "created_ts": fx.AS_OF} for i in range(1, N_USERS + 1)
    ]
    rows = []
    for i in range(1, N_USERS + 1):
        rows.append(
            {
                "user_id": i, "as_of_ts": fx.AS_OF, "language": "zh", "timezone": "Asia/Shanghai",
                "lifecycle_stage": rng.choice(["new", "mature", "churned"]),
                "ltv_tier": rng.choice(["high", "mid", "low"]), "churn_risk": rng.random(),
                "ltv_12m": rng.random() * 500, "reachable_channels": ",sms,", "interests": "",
                "summary": f"profile {i}", "days_since_signup": 100, "rfm_segment": "loyal",
                "p_alive": 0.5, "expected_orders_90d": 1.0, "content_affinity": "offer",
            }
        )  # fmt: skip
    events = []
    for _ in range(900):
        kind = rng.choice(TYPES)
        props = {"page": rng.choice(["refill", "home"])} if kind == "page_view" else None
        ts = fx.AS_OF - rng.randrange(-5 * fx.DAY, 400 * fx.DAY)
        events.append(
            {"user_id": rng.choice(OWNERS), "type": kind, "ts": ts,
             "properties": props, "amount": 10.0 if kind == "order" else None}
        )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(User), users)
        conn.execute(insert(Trait), rows)
        conn.execute(insert(Event), events)
        for i in range(10, N_USERS + 1, 10):  # merged after the build: stale trait rows
            conn.execute(update(User).where(User.id == i).values(merged_into=1 + (i * 7) % 9))


def test_temp_ids_select_the_same_users(any_engine: Engine) -> None:
    _load(any_engine)
    dialect = any_engine.dialect.name
    for raw in SPECS:
        spec = parse_spec(raw)
        expected = segment_user_ids(any_engine, spec, as_of_ts=fx.AS_OF)  # inline subqueries
        with any_engine.connect() as conn:
            temp = TempIds(conn)
            inline = spec_condition(spec, as_of_ts=fx.AS_OF)
            cond = spec_condition(spec, as_of_ts=fx.AS_OF, counts=temp)
            got = conn.execute(select(traits.c.user_id).where(cond).order_by("user_id"))
            got_ids = [int(r) for r in got.scalars()]
            old = conn.execute(select(traits.c.user_id).where(inline).order_by("user_id"))
            old_ids = [int(r) for r in old.scalars()]
            n_tables = len(temp.tables)
            temp.drop()
        assert got_ids == old_ids, (dialect, raw)
        preds = [p for k in ("all", "any", "none") for p in raw.get(k, [])]
        counted = [(p["count"]["op"], p["count"]["value"]) for p in preds if "count" in p]
        # PostgreSQL: "at least k" over all time is a subquery on event_counts, no table
        subquery = [
            dialect == "postgresql" and p["count"]["op"] in (">=", ">") and len(p) == 2
            for p in preds
            if "count" in p and (p["count"]["op"], p["count"]["value"]) not in ((">=", 1), (">", 0))
        ]
        tables = sum(c not in ((">=", 1), (">", 0)) for c in counted) - sum(subquery)
        assert n_tables == tables, raw
        summary = preview_segment(any_engine, spec, as_of_ts=fx.AS_OF, columnar=False)
        assert summary.size == len(expected), (dialect, raw)
    assert 0 < len(segment_user_ids(any_engine, parse_spec(SPECS[2]), as_of_ts=fx.AS_OF)) < 100


def test_preview_leaves_no_temporary_table(sqlite_engine: Engine) -> None:
    _load(sqlite_engine)
    spec = parse_spec(SPECS[2])
    first = preview_segment(sqlite_engine, spec, as_of_ts=fx.AS_OF, columnar=False)
    second = preview_segment(sqlite_engine, spec, as_of_ts=fx.AS_OF, columnar=False)
    assert first == second
    with sqlite_engine.connect() as conn:
        names = conn.execute(text("SELECT name FROM sqlite_temp_master")).scalars().all()
    assert names == []

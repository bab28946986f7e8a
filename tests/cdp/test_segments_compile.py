"""Segment semantics on a hand-made store, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.cdp import segment_fixture as fx
from tests.conftest import PG_ADMIN_URL, PG_AVAILABLE
from userops.cdp.segments.service import parse_spec, segment_user_ids
from userops.errors import UsageError
from userops.store.engine import make_engine, upgrade

REFILL_TWICE_NO_ORDER = {
    "all": [
        {
            "event": "page_view",
            "where": {"page": "refill"},
            "count": {"op": ">=", "value": 2},
            "within_days": 7,
        }
    ],
    "none": [{"event": "order", "within_days": 7}],
}

CASES: list[tuple[dict[str, Any], list[int]]] = [
    ({"all": []}, fx.CANONICAL),
    ({}, fx.CANONICAL),
    ({"all": [{"field": "ltv_tier", "op": "=", "value": "high"}]}, [1, 6]),
    ({"all": [{"field": "ltv_tier", "op": "!=", "value": "high"}]}, [2, 3, 4]),
    ({"all": [{"field": "churn_risk", "op": "<", "value": 0.3}]}, [2]),
    ({"all": [{"field": "churn_risk", "op": "<=", "value": 0.3}]}, [2, 6]),
    ({"all": [{"field": "churn_risk", "op": ">", "value": 0.8}]}, [4]),
    ({"all": [{"field": "churn_risk", "op": ">=", "value": 0.8}]}, [1, 4]),
    ({"all": [{"field": "churn_risk", "op": "between", "value": [0.3, 0.8]}]}, [1, 3, 6]),
    ({"all": [{"field": "lifecycle_stage", "op": "in", "value": ["new", "churned"]}]}, [3, 4]),
    (
        {"all": [{"field": "lifecycle_stage", "op": "not_in", "value": ["new", "churned"]}]},
        [1, 2, 6],
    ),
    ({"all": [{"field": "reachable_channels", "op": "contains", "value": "sms"}]}, [1, 4, 6]),
    (
        {"all": [{"field": "reachable_channels", "op": "in", "value": ["email", "app_push"]}]},
        [1, 2],
    ),
    ({"all": [{"field": "reachable_channels", "op": "exists", "value": False}]}, [3]),
    ({"all": [{"field": "interests", "op": "contains", "value": "tea_leaves"}]}, [4]),
    ({"all": [{"field": "interests", "op": "contains", "value": "tea"}]}, []),
    ({"all": [{"field": "region", "op": "contains", "value": "hai"}]}, [1, 4]),
    ({"all": [{"field": "days_since_last_order", "op": "exists"}]}, [1, 2, 4, 6]),
    ({"all": [{"field": "days_since_last_order", "op": "exists", "value": False}]}, [3]),
    ({"all": [{"field": "last_contacted_at", "op": "<", "value": fx.AS_OF - 3 * fx.DAY}]}, [4, 6]),
    (
        {"all": [{"field": "last_contacted_ts", "op": ">=", "value": "2026-05-26T20:26:40Z"}]},
        [1, 2],
    ),
    # any / none, and none with missing values: a user who never ordered is kept
    (
        {
            "any": [
                {"field": "ltv_tier", "op": "=", "value": "mid"},
                {"field": "region", "op": "=", "value": "Guangzhou"},
            ]
        },
        [2, 6],
    ),
    ({"none": [{"field": "days_since_last_order", "op": "<", "value": 60}]}, [1, 3, 4]),
    (
        {
            "all": [{"field": "ltv_tier", "op": "in", "value": ["high", "mid", "low"]}],
            "any": [
                {"field": "churn_risk", "op": ">", "value": 0.9},
                {"event": "order", "where": {"source": "web"}},
            ],
            "none": [{"field": "region", "op": "=", "value": "Shanghai"}],
        },
        [6],
    ),
    # event predicates (record 5 is merged into 1: its events count for user 1)
    (REFILL_TWICE_NO_ORDER, [1]),
    ({"all": [{"event": "page_view", "where": {"page": "refill"}, "within_days": 7}]}, [1, 2, 4]),
    (
        {
            "all": [
                {
                    "event": "page_view",
                    "where": {"page": "refill"},
                    "within_days": 30,
                    "count": {"op": ">=", "value": 3},
                }
            ]
        },
        [6],
    ),
    ({"all": [{"event": "page_view", "count": {"op": "=", "value": 0}, "within_days": 7}]}, [3, 6]),
    (
        {"all": [{"event": "page_view", "count": {"op": "<", "value": 2}, "within_days": 7}]},
        [3, 4, 6],
    ),
    ({"all": [{"event": "order", "where": {"amount": {"op": ">", "value": 100}}}]}, [1, 2]),
    ({"all": [{"event": "order", "where": {"source": {"op": "in", "value": ["web"]}}}]}, [6]),
    (
        {
            "all": [
                {
                    "event": "order",
                    "where": {"quantity": {"op": ">=", "value": 2}, "source": "app"},
                    "within_days": 30,
                }
            ]
        },
        [2],
    ),
    (
        {
            "all": [
                {"event": "message_clicked", "where": {"channel": "sms", "campaign_id": "c-old"}}
            ]
        },
        [1],
    ),
    (
        {
            "all": [
                {"event": "page_view", "where": {"category": {"op": "contains", "value": "skin"}}}
            ]
        },
        [1, 2, 3, 4, 6],
    ),
    ({"none": [{"event": "page_view", "where": {"page": "refill"}}]}, []),
    ({"none": [{"event": "order"}]}, [3, 4]),
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The fixture store, loaded once per module and backend (the cases only read it)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('seg') / 'store.db'}")
        upgrade(engine)
        fx.load(engine)
        yield engine
        engine.dispose()
        return
    if not PG_AVAILABLE:
        pytest.skip("PostgreSQL not reachable")
    name = f"userops_seg_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    try:
        upgrade(engine)
        fx.load(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize(("spec", "expected"), CASES)
def test_segment_semantics(loaded: Engine, spec: dict[str, Any], expected: list[int]) -> None:
    assert segment_user_ids(loaded, parse_spec(spec)) == expected


def test_same_sizes_on_sqlite_and_postgresql(sqlite_engine: Engine, pg_engine: Engine) -> None:
    fx.load(sqlite_engine)
    fx.load(pg_engine)
    for spec, _ in CASES:
        parsed = parse_spec(spec)
        assert segment_user_ids(sqlite_engine, parsed) == segment_user_ids(pg_engine, parsed)


def test_as_of_override_moves_the_window(any_engine: Engine) -> None:
    fx.load(any_engine)
    spec = parse_spec(
        {
            "all": [
                {
                    "event": "page_view",
                    "where": {"page": "refill"},
                    "within_days": 7,
                    "count": {"op": ">=", "value": 2},
                }
            ]
        }
    )
    assert segment_user_ids(any_engine, spec) == [1, 2]
    later = fx.AS_OF + 5 * fx.DAY  # user 3's two "future" views fall in, the others drop out
    assert segment_user_ids(any_engine, spec, as_of_ts=later) == [3]


def test_limit_keeps_highest_churn_times_ltv_first(any_engine: Engine) -> None:
    fx.load(any_engine)
    # scores: 1: 400, 2: 30, 3: 10, 4: 47.5, 6: 240
    assert segment_user_ids(any_engine, parse_spec({"limit": 3})) == [1, 6, 4]
    spec = {"all": [{"field": "reachable_channels", "op": "contains", "value": "sms"}], "limit": 2}
    assert segment_user_ids(any_engine, parse_spec(spec)) == [1, 6]


def test_search_intersects_with_the_searcher(sqlite_engine: Engine) -> None:
    fx.load(sqlite_engine)
    calls: list[tuple[str, int]] = []

    def searcher(text: str, k: int) -> list[int]:
        calls.append((text, k))
        return [6, 4, 2, 5]

    spec = parse_spec(
        {"all": [{"field": "churn_risk", "op": ">", "value": 0.2}], "search": "skincare fans"}
    )
    assert segment_user_ids(sqlite_engine, spec, searcher=searcher) == [4, 6]
    assert calls == [("skincare fans", 1000)]
    big = parse_spec({"search": "x", "limit": 5000})
    segment_user_ids(sqlite_engine, big, searcher=searcher)
    assert calls[-1] == ("x", 5000)


def test_search_without_searcher_is_a_usage_error(sqlite_engine: Engine) -> None:
    fx.load(sqlite_engine)
    with pytest.raises(UsageError, match="search"):
        segment_user_ids(sqlite_engine, parse_spec({"search": "coffee"}))


def test_canonical_filter_is_skipped_only_without_stale_rows(sqlite_engine: Engine) -> None:
    fx.load(sqlite_engine)
    spec = parse_spec({"all": [{"field": "ltv_tier", "op": "=", "value": "high"}]})
    assert segment_user_ids(sqlite_engine, spec) == [1, 6]  # stale row of record 5 filtered
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM traits WHERE user_id = 5")
    assert segment_user_ids(sqlite_engine, spec) == [1, 6]


def test_text_contains_renders_per_dialect() -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    from userops.cdp.segments.sql import list_contains, traits

    expr = list_contains(traits.c.reachable_channels, "sms")
    assert "instr(" in str(expr.compile(dialect=sqlite.dialect()))
    assert "strpos(" in str(expr.compile(dialect=postgresql.dialect()))
    assert "position(" in str(expr.compile())

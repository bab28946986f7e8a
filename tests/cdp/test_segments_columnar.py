"""The DuckDB columnar copy of the traits gives the same previews as the SQLite store."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert, update

from tests.cdp import segment_fixture as fx
from tests.cdp.test_segments_compile import CASES
from userops.cdp.segments.columnar import (
    columnar_ok,
    columnar_path,
    open_fresh_copy,
    refresh_columnar_copy,
)
from userops.cdp.segments.service import parse_spec, preview_segment
from userops.store.models import Trait, User

TRAIT_ONLY = [spec for spec, _ in CASES if columnar_ok(parse_spec(spec))]
EXTRA: list[dict[str, Any]] = [
    {"all": [{"field": "churn_risk", "op": ">=", "value": 0.2}], "limit": 2},
    {"any": [{"field": "ltv_tier", "op": "=", "value": "low"}], "none": []},
    {"none": [{"field": "days_since_last_order", "op": "<", "value": 60}]},
    {"all": [{"field": "orders_90d", "op": ">", "value": 0.5}]},
    {"all": [{"field": "region", "op": "contains", "value": "o'; DROP TABLE traits; --"}]},
]


def _rebuilt(engine: Engine) -> Engine:
    """The fixture as right after a build: record 5's stale trait row is gone."""
    fx.load(engine)
    with engine.begin() as conn:
        conn.execute(delete(Trait).where(Trait.user_id == 5))
    return engine


def _is_fresh(engine: Engine, min_rows: int = 0) -> bool:
    with engine.connect() as conn:
        duck = open_fresh_copy(engine, conn, min_rows=min_rows)
    if duck is None:
        return False
    duck.close()
    return True


def test_trait_only_specs_exist_and_event_specs_stay_on_the_store() -> None:
    assert len(TRAIT_ONLY) >= 15
    assert not columnar_ok(parse_spec({"all": [{"event": "order"}]}))
    assert not columnar_ok(
        parse_spec({"all": [{"field": "last_contacted_ts", "op": ">", "value": 0}]})
    )


@pytest.mark.parametrize("spec", TRAIT_ONLY + EXTRA)
def test_columnar_preview_equals_store_preview(sqlite_engine: Engine, spec: dict[str, Any]) -> None:
    engine = _rebuilt(sqlite_engine)
    assert refresh_columnar_copy(engine) == columnar_path(engine)
    assert _is_fresh(engine)
    assert not _is_fresh(engine, min_rows=len(fx.CANONICAL) + 1)  # too few rows to pay off
    parsed = parse_spec(spec)
    on_store = preview_segment(engine, parsed, columnar=False)
    on_copy = preview_segment(engine, parsed, columnar=True).model_dump()
    expected = on_store.model_dump()
    for mean in ("mean_churn_risk", "mean_ltv_12m"):  # float sums in another order
        got, want = on_copy.pop(mean), expected.pop(mean)
        assert got == want if want is None else got == pytest.approx(want, rel=1e-12)
    assert on_copy == expected


def test_everyone_on_the_copy_has_samples_and_counts(sqlite_engine: Engine) -> None:
    engine = _rebuilt(sqlite_engine)
    refresh_columnar_copy(engine)
    summary = preview_segment(engine, parse_spec({"all": []}), columnar=True)
    on_store = preview_segment(engine, parse_spec({"all": []}), columnar=False)
    assert summary.size == len(fx.CANONICAL)
    assert summary.samples == on_store.samples
    assert len(summary.samples) == 4  # user 3 has no summary
    assert summary.reachable["sms"] == 3


def test_a_change_after_the_copy_falls_back_to_the_store(sqlite_engine: Engine) -> None:
    engine = _rebuilt(sqlite_engine)
    refresh_columnar_copy(engine)
    with engine.begin() as conn:
        conn.execute(insert(User), {"id": 7, "external_id": "u7", "created_ts": fx.AS_OF})
        row = {c.name: None for c in Trait.__table__.columns}
        with engine.connect() as read:
            first = read.execute(Trait.__table__.select().where(Trait.user_id == 1)).mappings()
            row.update(next(iter(first)))
        row["user_id"] = 7
        conn.execute(insert(Trait), row)
    assert not _is_fresh(engine)
    summary = preview_segment(engine, parse_spec({"all": []}), columnar=True)
    assert summary.size == len(fx.CANONICAL) + 1
    with engine.begin() as conn:  # a later build day: stale as well
        conn.execute(update(Trait).values(as_of_ts=fx.AS_OF + fx.DAY))
    refresh_columnar_copy(engine)
    assert _is_fresh(engine)
    with engine.begin() as conn:
        conn.execute(update(Trait).values(as_of_ts=fx.AS_OF + 2 * fx.DAY))
    assert not _is_fresh(engine)
    refresh_columnar_copy(engine)
    assert _is_fresh(engine)


def test_a_merge_after_the_copy_falls_back_to_the_store(sqlite_engine: Engine) -> None:
    engine = _rebuilt(sqlite_engine)
    refresh_columnar_copy(engine)
    with engine.begin() as conn:
        conn.execute(update(User).where(User.id == 6).values(merged_into=1))
    summary = preview_segment(engine, parse_spec({"all": []}), columnar=True)
    assert summary.size == len(fx.CANONICAL) - 1


def test_search_and_limit_on_the_copy(sqlite_engine: Engine) -> None:
    engine = _rebuilt(sqlite_engine)
    refresh_columnar_copy(engine)
    spec = parse_spec({"all": [{"field": "churn_risk", "op": ">", "value": 0.1}], "search": "x"})
    spec.limit = 2

    def searcher(text: str, k: int) -> list[int]:
        return [6, 4, 2]

    on_copy = preview_segment(engine, spec, searcher=searcher, columnar=True)
    on_store = preview_segment(engine, spec, searcher=searcher, columnar=False)
    assert on_copy.size == on_store.size == 2
    assert on_copy.distributions == on_store.distributions
    assert on_copy.samples == on_store.samples


def test_a_profile_build_refreshes_the_copy(sqlite_engine: Engine) -> None:
    from datetime import UTC, datetime

    from userops.cdp.traits.build import build_profiles

    engine = _rebuilt(sqlite_engine)
    assert not _is_fresh(engine)
    build_profiles(engine, as_of=datetime.fromtimestamp(fx.AS_OF, UTC).date())
    assert _is_fresh(engine)
    on_copy = preview_segment(engine, parse_spec({"all": []}), columnar=True)
    assert on_copy.size == len(fx.CANONICAL)


COUNTED: list[dict[str, Any]] = [
    {"all": [{"event": "order", "count": {"op": ">=", "value": 2}}]},
    {"all": [{"event": "page_view", "count": {"op": ">", "value": 1}}]},
    {
        "all": [
            {"event": "page_view", "count": {"op": "=", "value": 0}, "within_days": 7},
            {"field": "churn_risk", "op": ">=", "value": 0.2},
        ]
    },
    {
        "all": [
            {
                "event": "page_view",
                "where": {"page": "refill"},
                "within_days": 30,
                "count": {"op": ">=", "value": 3},
            }
        ],
        "none": [{"field": "ltv_tier", "op": "=", "value": "low"}],
    },
    {"none": [{"event": "order", "count": {"op": ">=", "value": 2}}]},
    {
        "any": [
            {"event": "order", "count": {"op": "<", "value": 2}},
            {"field": "days_since_signup", "op": ">", "value": 40},
        ]
    },
]


@pytest.mark.parametrize("spec", COUNTED)
def test_count_predicates_run_on_the_copy_with_the_same_answers(
    sqlite_engine: Engine, spec: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts held in the preview's id tables are handed to the copy: same summary."""
    from userops.cdp.segments import columnar

    engine = _rebuilt(sqlite_engine)
    refresh_columnar_copy(engine)
    handed: list[str] = []
    real = columnar.register_ids

    def spy(duck: Any, conn: Any, tables: Any) -> None:
        handed.extend(t.name for t in tables)
        real(duck, conn, tables)

    monkeypatch.setattr(columnar, "register_ids", spy)
    parsed = parse_spec(spec)
    expected = preview_segment(engine, parsed, columnar=False).model_dump()
    assert not handed
    on_copy = preview_segment(engine, parsed, columnar=True).model_dump()
    assert handed  # it did run on the copy
    for mean in ("mean_churn_risk", "mean_ltv_12m"):
        got, want = on_copy.pop(mean), expected.pop(mean)
        assert got == want if want is None else got == pytest.approx(want, rel=1e-12)
    assert on_copy == expected


def test_at_least_one_event_stays_on_the_store(sqlite_engine: Engine) -> None:
    """An inline events subquery cannot run on the copy: the store answers."""
    from userops.cdp.segments.columnar import reads_only
    from userops.cdp.segments.service import compile_segment

    engine = _rebuilt(sqlite_engine)  # no stale trait row: no canonical-user subquery
    with engine.connect() as conn:
        cond = compile_segment(conn, parse_spec({"all": [{"event": "order"}]}))
        assert not reads_only(cond, [])
        trait = compile_segment(conn, parse_spec(EXTRA[0]))
        assert reads_only(trait, [])

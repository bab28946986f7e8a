"""SegmentSpec fuzzing: random JSON is a valid spec whose SQL runs, or a BadInput naming a field.

Predicates are built mostly from real catalog fields, operators, enum values and event
types (so that many examples are valid and reach the SQL), with random JSON mixed in at
every level. Nothing but :class:`BadInput` may come out, and its problems name the place.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from tests.cdp.segment_fixture import load
from tests.fuzz.strategies import FUZZ, JSON, near
from userops.cdp.segments.service import parse_spec, segment_user_ids
from userops.cdp.traits.catalog import catalog_as_dict
from userops.domain import EVENT_TYPES
from userops.errors import BadInput

CATALOG = catalog_as_dict()
OPS = ["=", "!=", "<", "<=", ">", ">=", "in", "not_in", "between", "contains", "exists"]
ENUMS = sorted({v for f in CATALOG.values() for v in (f.get("values") or [])})
KEY = lambda names: st.sampled_from(names) | st.text(max_size=8)  # noqa: E731
VALUES = near([0, 1, 60, 0.5, "high", "sms", True, [0, 10], ["high", "mid"], *ENUMS[:6]])

TRAIT = st.fixed_dictionaries({"field": near(sorted(CATALOG)), "op": near(OPS), "value": VALUES})
NUMERIC = sorted(k for k, f in CATALOG.items() if f.get("type") in ("int", "float"))
ENUM = sorted(k for k, f in CATALOG.items() if f.get("type") == "enum")
TYPED = st.one_of(  # well-typed predicates: most of these reach the SQL
    st.fixed_dictionaries(
        {
            "field": st.sampled_from(NUMERIC),
            "op": st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
            "value": st.integers(-5, 400) | st.floats(-1, 1000, allow_nan=False),
        }
    ),
    st.sampled_from(ENUM).flatmap(
        lambda f: st.fixed_dictionaries(
            {
                "field": st.just(f),
                "op": st.sampled_from(["in", "not_in"]),
                "value": st.lists(st.sampled_from(CATALOG[f]["values"]), min_size=1, max_size=3),
            }
        )
    ),
)
EVENT = st.fixed_dictionaries(
    {"event": near(sorted(EVENT_TYPES))},
    optional={
        "where": st.one_of(
            st.dictionaries(KEY(["page", "channel", "amount"]), VALUES, max_size=2), JSON
        ),
        "count": st.one_of(st.fixed_dictionaries({"op": near(OPS), "value": VALUES}), JSON),
        "within_days": near([7, 30, -1, 0]),
    },
)
PREDICATES = st.lists(st.one_of(TYPED, TYPED, TRAIT, EVENT, JSON), max_size=3)
SPEC = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "all": PREDICATES,
            "any": PREDICATES,
            "none": PREDICATES,
            "limit": near([1, 5, 0, -3, None]),
            KEY(["everyone", "filter"]): JSON,
        },
    ),
    JSON,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    from userops.store.engine import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'store.db'}")
    upgrade(engine)
    load(engine)
    return engine


@FUZZ
@given(raw=SPEC)
def test_random_json_is_a_runnable_spec_or_a_located_bad_input(store: Engine, raw: Any) -> None:
    try:
        spec = parse_spec(raw, source="segment.json")
    except BadInput as exc:
        assert exc.problems, raw
        for p in exc.problems:
            assert p.source == "segment.json" and p.reason, (raw, str(p))
            if isinstance(raw, dict):  # a mapping: the problem names the field (JSON path)
                assert p.field, (raw, str(p))
        return
    ids = segment_user_ids(store, spec)  # compiles and runs on SQLite
    assert all(isinstance(i, int) for i in ids)
    assert spec.limit is None or len(ids) <= spec.limit

"""The preview's covering index: every catalog column in it, and SQLite reads only the index."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.dialects import sqlite

from userops.cdp.segments.preview import _aggregate_query
from userops.cdp.segments.service import parse_spec
from userops.cdp.segments.sql import spec_condition
from userops.cdp.traits.catalog import TRAIT_CATALOG
from userops.store.models import PREVIEW_COLUMNS


def test_every_catalog_column_is_in_the_preview_index() -> None:
    used = {f.column_name(name) for name, f in TRAIT_CATALOG.items()}
    assert used - {"user_id"} <= set(PREVIEW_COLUMNS)  # user_id is the rowid: in every index


def test_a_trait_only_preview_reads_the_covering_index(sqlite_engine: Engine) -> None:
    spec = parse_spec(
        {
            "all": [
                {"field": "days_since_last_order", "op": ">=", "value": 60},
                {"field": "interests", "op": "contains", "value": "coffee"},
            ],
            "none": [{"field": "satisfaction", "op": "<", "value": 2}],
        }
    )
    query, _ = _aggregate_query(spec_condition(spec, stale=True))
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    with sqlite_engine.connect() as conn:
        plan = " | ".join(str(r[3]) for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
    assert "USING COVERING INDEX ix_traits_preview" in plan
    assert "TEMP B-TREE FOR GROUP BY" not in plan

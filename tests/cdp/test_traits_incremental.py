"""Incremental trait updates: equal to the full build, lifecycle events, no build yet."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import Engine, insert, text

from tests.cdp import incremental_support as sup
from userops.cdp.segments.columnar import columnar_path, refresh_columnar_copy
from userops.cdp.traits import population as tp
from userops.cdp.traits import rules
from userops.cdp.traits import sql as q
from userops.cdp.traits.build import DAY, build_profiles, compute, fetch, newest_event_day
from userops.cdp.traits.incremental import NO_BUILD, apply_events
from userops.cdp.traits.write import TRAIT_COLUMNS
from userops.store.models import Event, User

STAGE = TRAIT_COLUMNS.index("lifecycle_stage")
MODEL_FLOATS = {"p_alive", "expected_orders_90d", "ltv_12m", "churn_risk"}
"""Traits that move with a refit of BG/NBD and Gamma-Gamma."""
RELATIVE = {"rfm_segment", "ltv_tier", "content_affinity", "preferred_channel"}
"""Traits relative to the population (quintiles, terciles, priors): a refit moves its cuts."""


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return bool(abs(a - b) <= 1e-9)
    return a == b


def _full_rows_with_saved_population(engine: Engine, day: date) -> dict[int, tuple[object, ...]]:
    """What the full build computes for everyone as of ``day``, scored like the last build."""
    as_of_day = (day - date(1970, 1, 1)).days
    with engine.connect() as conn:
        population = tp.latest(conn)
        got = fetch(conn, q.Dialect(conn.dialect.name), as_of_day, lambda _s: None)
    rows, _pred, used = compute(got, as_of_day, (as_of_day + 1) * DAY, population)
    assert used is population
    return {int(r[0]): tuple(r) for r in rows}


def test_incremental_equals_the_full_build_with_the_same_population(any_engine: Engine) -> None:
    sup.seeded(any_engine, users=600)  # PostgreSQL: the build COPYs, the update does not
    if any_engine.dialect.name == "sqlite":
        assert refresh_columnar_copy(any_engine) is not None
    before = sup.traits(any_engine)
    records = sup.add_events(any_engine)
    canon = sup.canonical(any_engine, records)

    changes = apply_events(any_engine, records, now=sup.NOW)

    assert changes.skipped is None and changes.unknown == 0
    assert changes.as_of == sup.NOW.date()  # the new events' day, as a build now would use
    assert changes.users == len(canon) and changes.created == 1  # the first-sight user
    after = sup.traits(any_engine)
    full = _full_rows_with_saved_population(any_engine, sup.NOW.date())
    for uid in canon:
        for col, got, want in zip(TRAIT_COLUMNS, after[uid], full[uid], strict=True):
            assert _same(got, want), (uid, col, got, want)
    untouched = set(before) - set(canon)
    assert untouched and all(after[u] == before[u] for u in untouched)
    assert set(after) == set(before) | set(canon)  # merged records got no row
    changed = [u for u in canon if u in before and after[u][STAGE] != before[u][STAGE]]
    assert changed, "the new orders should move some lifecycle stages"
    if any_engine.dialect.name == "sqlite":  # the DuckDB copy no longer matches: dropped
        path = columnar_path(any_engine)
        assert path is not None and not path.exists()


def test_incremental_agrees_with_a_fresh_full_build(sqlite_engine: Engine) -> None:
    sup.seeded(sqlite_engine, users=1000)
    records = sup.add_events(sqlite_engine)
    canon = sup.canonical(sqlite_engine, records)
    apply_events(sqlite_engine, records, now=sup.NOW)
    incremental = sup.traits(sqlite_engine, canon)

    result = build_profiles(sqlite_engine)  # the nightly refit on the same data

    assert result.as_of == sup.NOW.date()
    full = sup.traits(sqlite_engine, canon)
    moved = dict.fromkeys(RELATIVE, 0)
    for uid in canon:
        for col, got, want in zip(TRAIT_COLUMNS, incremental[uid], full[uid], strict=True):
            if col in MODEL_FLOATS:  # refitted parameters: close, not equal
                assert got == pytest.approx(want, rel=0.1, abs=0.02), (uid, col)
            elif col in RELATIVE:  # refitted cuts and priors may move a user near a cut
                moved[col] += got != want
            else:
                assert got == want, (uid, col, got, want)
    assert max(moved.values()) <= len(canon) // 10, moved


def test_a_lifecycle_change_is_recorded_once(sqlite_engine: Engine) -> None:
    sup.seeded(sqlite_engine, users=400)
    before = sup.traits(sqlite_engine)
    records = sup.add_events(sqlite_engine)

    first = apply_events(sqlite_engine, records, now=sup.NOW)
    again = apply_events(sqlite_engine, records, now=sup.NOW + timedelta(minutes=1))

    after = sup.traits(sqlite_engine)
    expected = {
        u: {"from": before[u][STAGE] if u in before else None, "to": after[u][STAGE]}
        for u in sup.canonical(sqlite_engine, records)
        if u not in before or before[u][STAGE] != after[u][STAGE]
    }
    events = sup.stage_events(sqlite_engine)
    assert dict(events) == expected and len(events) == len(expected)
    assert None in [p["from"] for p in expected.values()]  # the first-sight user's first row
    assert sorted(u for u, _f, _t in first.stage_changes) == sorted(expected)
    assert again.stage_changes == [] and again.users == first.users
    with sqlite_engine.connect() as conn:
        ts = conn.execute(
            text("SELECT DISTINCT ts FROM events WHERE type = 'lifecycle_stage_changed'")
        ).scalars()
        assert list(ts) == [int(sup.NOW.timestamp())]


def test_no_full_build_yet_writes_nothing(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn:
        uid = conn.execute(
            insert(User).returning(User.id), {"external_id": "a", "created_ts": 1_700_000_000}
        ).scalar_one()
        conn.execute(insert(Event), {"user_id": uid, "type": "order", "ts": 1_700_000_100})

    changes = apply_events(sqlite_engine, [uid, uid + 1])

    assert changes.skipped == NO_BUILD and changes.users == 0
    assert sup.traits(sqlite_engine) == {} and sup.stage_events(sqlite_engine) == []


def test_unknown_ids_are_counted_and_an_empty_call_does_nothing(sqlite_engine: Engine) -> None:
    sup.seeded(sqlite_engine, users=50)
    assert apply_events(sqlite_engine, []).users == 0
    changes = apply_events(sqlite_engine, [10**9, 10**9 + 1], now=sup.NOW)
    assert (changes.users, changes.unknown, changes.skipped) == (0, 2, None)


def test_lifecycle_events_do_not_move_the_as_of_day(sqlite_engine: Engine) -> None:
    day = datetime(2026, 11, 1).date()
    with sqlite_engine.begin() as conn:
        uid = conn.execute(
            insert(User).returning(User.id), {"external_id": "a", "created_ts": 1_700_000_000}
        ).scalar_one()
        ts = (day - date(1970, 1, 1)).days * DAY + 60
        conn.execute(insert(Event), {"user_id": uid, "type": "order", "ts": ts})
        later = {"user_id": uid, "type": "lifecycle_stage_changed", "ts": ts + 5 * DAY}
        conn.execute(insert(Event), later)
    assert newest_event_day(sqlite_engine, day + timedelta(days=30)) == day


def test_quintile_cuts_reproduce_the_quintile_scores() -> None:
    rng = np.random.default_rng(5)
    for n in (1, 7, 300):
        values = rng.integers(0, 12, n).astype(np.float64)  # many ties
        mask = rng.random(n) < 0.7
        cuts = rules.quintile_cuts(values, mask)
        np.testing.assert_array_equal(
            rules.score_by_cuts(values, mask, cuts), rules.quintile_score(values, mask)
        )
    cuts = rules.quintile_cuts(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.ones(5, dtype=bool))
    out = rules.score_by_cuts(np.array([0.0, 2.5, 9.0]), np.ones(3, dtype=bool), cuts)
    assert out.tolist() == [1.0, 2.0, 5.0]  # values outside the population still score


def test_the_saved_population_survives_json(sqlite_engine: Engine) -> None:
    sup.seeded(sqlite_engine, users=50)
    with sqlite_engine.connect() as conn:
        saved = tp.latest(conn)
    assert saved is not None
    again = tp.Population.from_dict(json.loads(json.dumps(saved.to_dict())))
    assert again.to_dict() == saved.to_dict()
    empty = rules.quintile_cuts(np.zeros(3), np.zeros(3, dtype=bool))  # no buyers: all inf
    assert tp.Population.from_dict({**saved.to_dict(), "ltv_cuts": [None, None]}).ltv_cuts == (
        np.inf,
        np.inf,
    )
    assert np.isinf(empty).all()


def test_the_events_copy_reads_what_the_index_reads_and_is_dropped(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sup.seeded(sqlite_engine, users=300)
    records = sup.add_events(sqlite_engine)
    d = q.Dialect("sqlite", tuple(sorted(records)))
    as_of_day = (sup.NOW.date() - date(1970, 1, 1)).days
    left = "SELECT count(*) FROM temp.sqlite_master WHERE name = 'traits_events'"
    with sqlite_engine.connect() as conn:
        copied = fetch(conn, d, as_of_day, lambda _s: None)  # reads the temporary copy
        assert conn.exec_driver_sql(left).scalar() == 0
        monkeypatch.setattr(q, "copy_events", lambda _conn, dialect, _cut: dialect)
        indexed = fetch(conn, d, as_of_day, lambda _s: None)  # each query on events itself
    assert copied["orders"] and copied["interests"] and copied["channel"]
    for key, rows in indexed.items():
        assert sorted(map(tuple, copied[key])) == sorted(map(tuple, rows)), key

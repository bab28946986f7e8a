"""The bulk events path: dedupe keys built in columns, every insert path, both databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from tests.cdp.import_support import IMPORT_DATA, write_csv
from userops.cdp.ingest import events_sql
from userops.cdp.ingest.event_keys import VALUES, column_keys, dedupe_key
from userops.cdp.ingest.importer import import_file
from userops.errors import BadInput

TEXT = st.one_of(
    st.none(),
    st.sampled_from(["", "a", 'q"uote', "back\\slash", "tab\t", "中文"]),
    st.text(max_size=8),
)
EVENT = st.fixed_dictionaries(
    {
        "event_id": st.one_of(st.none(), st.just(""), st.text(max_size=4)),
        "ext": st.text(min_size=1, max_size=6),
        "type": st.sampled_from(["order", "visit"]),
        "ts": st.integers(0, 4_000_000_000),
        "channel": st.one_of(st.none(), st.just("sms")),
        "amount": st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
        "quantity": st.one_of(st.none(), st.integers(0, 10**6)),
        "campaign_id": TEXT,
        "text": TEXT,
        "properties": st.one_of(
            st.none(), st.dictionaries(st.text(max_size=3), st.integers() | st.text(max_size=3))
        ),
    }
)


@settings(max_examples=200, deadline=None)
@given(st.lists(EVENT, min_size=1, max_size=8))
def test_column_keys_equal_the_row_keys(events: list[dict[str, Any]]) -> None:
    col = {k: [e[k] for e in events] for k in events[0]}
    values = {
        c: pa.array(
            [None if p is None else json.dumps(p, ensure_ascii=False) for p in col[c]]
            if c == "properties"
            else col[c],
            pa.int64()
            if c in ("ts", "quantity")
            else pa.float64()
            if c == "amount"
            else pa.string(),
        )
        for c in VALUES
    }
    keys = column_keys(pa.array(col["event_id"], pa.string()), pa.array(col["ext"]), values)
    expected = [dedupe_key(e["ext"], {k: v for k, v in e.items() if k != "ext"}) for e in events]
    assert keys.to_pylist() == expected


def _events(engine: Engine, tmp_path: Path, rows: list[str], name: str = "e.csv") -> Any:
    path = write_csv(tmp_path / name, "event_id,user_id,type,ts,amount,text", rows)
    return import_file(engine, "events", path)


def _stored(engine: Engine) -> list[tuple[Any, ...]]:
    q = (
        "SELECT u.external_id, e.type, e.ts, e.amount, e.text, e.dedupe_key FROM events e"
        " JOIN users u ON u.id = e.user_id ORDER BY e.id"
    )
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(q))]


ROWS = [
    ",app-1,order,2024-03-01,10.5,",
    ",app-1,order,2024-03-01,10.5,",  # the same event again in the file: once
    'e-9,app-1,visit,2024-03-02,,"say ""hi"""',
    ",web-7,visit,1709366400,,中文",
]


@pytest.mark.parametrize("repeat", [True, False])
@pytest.mark.parametrize("rebuild_min", [1, 10**9])
def test_every_insert_path_stores_the_same(
    any_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rebuild_min: int,
    repeat: bool,
) -> None:
    """Empty table with or without in-file repeats, filled table: same rows as ON CONFLICT."""
    monkeypatch.setattr(events_sql, "REBUILD_MIN", rebuild_min)
    import_file(any_engine, "users", IMPORT_DATA / "users.csv")
    first = _events(any_engine, tmp_path, ROWS if repeat else ROWS[1:])
    assert (first.inserted, first.unchanged) == (3, int(repeat))
    distinct = _events(any_engine, tmp_path, [ROWS[0], ",web-7,order,2024-05-01,1,"], "d.csv")
    assert (distinct.inserted, distinct.unchanged) == (1, 1)
    stored = _stored(any_engine)
    assert [r[:5] for r in stored] == [
        ("app-1", "order", 1709251200, 10.5, None),
        ("app-1", "visit", 1709337600, None, 'say "hi"'),
        ("web-7", "visit", 1709366400, None, "中文"),
        ("web-7", "order", 1714521600, 1.0, None),
    ]
    with any_engine.connect() as conn:
        names = conn.execute(
            text("SELECT count(*) FROM events WHERE dedupe_key IS NOT NULL")
        ).scalar_one()
    assert names == 4
    assert _events(any_engine, tmp_path, ROWS).inserted == 0  # idempotent


def test_unknown_users_and_bad_values_are_reported_together(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    import_file(sqlite_engine, "users", IMPORT_DATA / "users.csv")
    with pytest.raises(BadInput) as err:
        _events(sqlite_engine, tmp_path, [",nobody,order,2024-03-01,1,", ",app-1,order,soon,1,"])
    assert [str(p) for p in err.value.problems] == [
        f"{tmp_path / 'e.csv'}:2 user_id='nobody': unknown user (import users first)",
        f"{tmp_path / 'e.csv'}:3 ts='soon': not an ISO-8601 date/time or epoch seconds",
    ]
    assert _stored(sqlite_engine) == []

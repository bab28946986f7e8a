"""Import fuzzing: random CSV cells are imported, or every refusal is ``FILE:LINE field=value``.

A generated user file either imports (every user id in it is then in the store) or raises
:class:`BadInput` whose every line has the form ``FILE:LINE field=value: reason`` with a
real data line and column, and the store is byte-for-byte what it was (nothing written).
"""

from __future__ import annotations

import csv
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from tests.cdp.import_support import snapshot
from tests.cdp.test_import_columns import COLUMNS, EDGE
from tests.fuzz.strategies import FUZZ
from userops.cdp.ingest.importer import import_file
from userops.errors import BadInput

CELL = {f: st.sampled_from(EDGE[f]) | st.text(max_size=10) for f in COLUMNS}
ROW = st.fixed_dictionaries(CELL)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    from userops.store.engine import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'store.db'}")
    upgrade(engine)
    return engine


@FUZZ
@given(
    rows=st.lists(ROW, min_size=1, max_size=6),
    columns=st.lists(st.sampled_from(COLUMNS), min_size=1, unique=True).map(
        lambda c: ["user_id", *[x for x in c if x != "user_id"]]
    ),
)
def test_random_cells_import_or_name_file_line_field_value(
    store: Engine,
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[dict[str, str]],
    columns: list[str],
) -> None:
    path = tmp_path_factory.mktemp("csv") / "users.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            w.writerow([r[c] for c in columns])
    before = snapshot(store)
    try:
        result = import_file(store, "users", path)
    except BadInput as exc:
        assert snapshot(store) == before  # nothing written
        shape = re.compile(rf"^{re.escape(str(path))}:(\d+) (\w+)=(.*): (.+)$", re.S)
        for problem in exc.problems:
            m = shape.match(str(problem))
            assert m, str(problem)
            assert m.group(2) in columns and int(m.group(1)) >= 2, str(problem)
        return
    assert result.rows == len(rows)
    with store.connect() as conn:
        known = set(conn.execute(text("SELECT external_id FROM users")).scalars())
    assert {r["user_id"].strip() for r in rows} <= known

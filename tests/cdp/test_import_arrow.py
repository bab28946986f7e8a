"""The pyarrow CSV path of `import users`: when it is taken, what it refuses, its staging."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from tests.cdp.import_support import USER_HEADER, write_csv
from userops.cdp.ingest import csv_arrow
from userops.cdp.ingest import validate as v
from userops.cdp.ingest.csv_arrow import column_batches, count_lines
from userops.cdp.ingest.importer import import_file
from userops.cdp.ingest.iso_columns import iso_seconds
from userops.cdp.ingest.readers import LinesUnknown, Reader
from userops.cdp.ingest.users import FIELDS
from userops.errors import BadInput

SHAPE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?)?"
"""Strings of the shapes the fast path decides, with any digits (bad dates included)."""
STAMPS = st.one_of(
    st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.none()
    ).map(lambda d: d.replace(microsecond=0).isoformat()),
    st.builds(
        lambda d, m: (
            d.replace(microsecond=0, tzinfo=UTC)
            .astimezone(timezone(timedelta(minutes=m)))
            .isoformat()
        ),
        st.datetimes(min_value=datetime(1960, 1, 1), max_value=datetime(2110, 1, 1)),
        st.integers(-1439, 1439),
    ),
    st.dates().map(lambda d: d.isoformat()),
    st.from_regex(SHAPE, fullmatch=True),
    st.text(max_size=26),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(STAMPS, min_size=1, max_size=20))
def test_iso_fast_path_decides_only_what_the_validator_accepts_and_agrees(
    values: list[str],
) -> None:
    seconds, decided = iso_seconds(pa.array(values, pa.string()))
    for raw, ts, ok in zip(values, seconds.to_pylist(), decided.to_pylist(), strict=True):
        if ok:
            assert v.timestamp(raw) == ts, raw


def test_fast_path_decides_the_usual_shapes() -> None:
    values = [
        "2024-01-01",
        "2024-01-01T08:00:00+08:00",
        "2024-02-29T23:59:59Z",
        "1999-12-31T00:00:00",
    ]
    seconds, decided = iso_seconds(pa.array(values))
    assert decided.to_pylist() == [True] * 4
    assert seconds.to_pylist() == [v.timestamp(x) for x in values]
    _, refused = iso_seconds(pa.array(["2023-02-29", "2024-13-01", "2024-01-01T24:00:00"]))
    assert refused.to_pylist() == [False] * 3


def _reader(path: Path) -> Reader:
    return Reader(path, "csv", {}, tuple(FIELDS), ("user_id",))


def test_a_plain_file_is_read_by_pyarrow_with_counted_lines(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No csv-module fallback is needed: bad rows are still named by their line."""

    def no_fallback(*_: object) -> None:
        raise AssertionError("the csv module was used")

    monkeypatch.setattr(Reader, "csv_batches", no_fallback)
    monkeypatch.setattr(csv_arrow, "ROWS", 2)
    rows = [f"u{i},N{i},1390000000{i},,,,,,,2024-01-0{i + 1}" for i in range(5)]
    rows[3] = "u3,N3,nope,,,,Mars/Base,,,"
    path = write_csv(tmp_path / "u.csv", USER_HEADER, rows)
    with pytest.raises(BadInput) as err:
        import_file(sqlite_engine, "users", path)
    assert [str(p) for p in err.value.problems] == [
        f"{path}:5 phone='nope': not a phone number",
        f"{path}:5 timezone='Mars/Base': not an IANA time zone (e.g. Asia/Shanghai)",
    ]
    rows[3] = "u3,N3,13900000003,,,,,,,"
    path.write_text("\n".join([USER_HEADER, *rows]), encoding="utf-8")  # no final newline
    assert import_file(sqlite_engine, "users", path).inserted == 5


@pytest.mark.parametrize(
    "body",
    [
        "u1,a\n\nu2,b\n",  # a blank line: pyarrow skips it, the counting would not
        'u1,"a\nb"\nu2,b\n',  # a line break inside a field
        "u1,a\ru2,b\r",  # CR line ends
        "u1,a,extra\nu2,b\n",  # a record of another width
        'u1,"open\n',  # an open quote
    ],
)
def test_files_pyarrow_cannot_number_are_refused(tmp_path: Path, body: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(("user_id,name\n" + body).encode())
    with pytest.raises(LinesUnknown):
        list(column_batches(_reader(path)))


def test_line_count_needs_crlf_or_lf() -> None:
    assert count_lines(b'a,b\r\n1,2\r\n3,"4"\r\n') == (3, True)
    assert count_lines(b"a,b\n1,2\n3,4") == (3, False)
    with pytest.raises(LinesUnknown):
        count_lines(b"a,b\r\n1,2\r3,4")


def _stage_files(engine: Engine) -> list[Path]:
    return list(Path(str(engine.url.database)).parent.glob(".userops-stage-*"))


def test_concurrent_imports_into_one_store_both_land(sqlite_engine: Engine, tmp_path: Path) -> None:
    """Each import has its own scratch file; SQLite serializes the two transactions."""
    paths = [
        write_csv(tmp_path / f"{k}.csv", USER_HEADER, [f"{k}{i},,,,,,,,," for i in range(3000)])
        for k in ("a", "b")
    ]
    errors: list[BaseException] = []

    def run(path: Path) -> None:
        try:
            import_file(sqlite_engine, "users", path)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 6000
    assert _stage_files(sqlite_engine) == []


def test_scratch_is_removed_when_the_write_fails(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from userops.cdp.ingest import users_sql

    def broken(*_: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(users_sql, "_identities", broken)
    path = write_csv(tmp_path / "u.csv", USER_HEADER, ["u1,,,,,,,,,"])
    with pytest.raises(RuntimeError):
        import_file(sqlite_engine, "users", path)
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
    assert _stage_files(sqlite_engine) == []
    monkeypatch.undo()
    assert import_file(sqlite_engine, "users", path).inserted == 1  # the connection is fine


def test_a_scratch_file_left_by_a_dead_process_is_swept(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    folder = Path(str(sqlite_engine.url.database)).parent
    orphan = folder / ".userops-stage-dead.db"
    orphan.write_bytes(b"")
    path = write_csv(tmp_path / "u.csv", USER_HEADER, ["u1,,,,,,,,,"])
    import_file(sqlite_engine, "users", path)
    assert not orphan.exists()

"""The column-wise CSV paths of `import users` agree with the row path, value for value."""

from __future__ import annotations

import csv
import io
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from userops.cdp.ingest import csv_arrow, table_parse
from userops.cdp.ingest import users as import_users
from userops.cdp.ingest.columns import check_column
from userops.cdp.ingest.readers import LinesUnknown, Reader, _lines
from userops.cdp.ingest.rows import Ticker, paused_gc
from userops.cdp.ingest.table_parse import Parsed
from userops.cdp.ingest.user_columns import COLUMNS as BULK
from userops.cdp.ingest.users import FIELDS

EDGE: dict[str, list[str]] = {
    "user_id": ["u1", " u2 ", "", " ", "用户-3", "x" * 128, "x" * 129, "a\nb", "\ufeffu4"],
    "name": ["Ann", "", "  ", " 张伟 ", "n" * 200, "n" * 201, "line1\r\nline2", "é\u0301"],
    "phone": [
        "13812345678",
        "+8613812345678",
        "138 1234 5678",
        "0086 13812345678",
        "+1 650 253 0000",
        "12345",
        "",
        " ",
        " 13812345678 ",
        "１３８１２３４５６７８",
        "13٠١٢٣٤٥٦٧٨",
        "+86 138-1234-5678",
        "010-12345678",
        "abc",
        "1381234567\n8",
        "+8612345678901",
        "+86138123456789",
    ],
    "email": [
        "a@example.com",
        " A@Example.COM ",
        "x@y.test",
        "bad",
        "",
        " ",
        "ü@example.com",
        "用户@例子.公司",
        "a" * 65 + "@example.com",
        "a" * 64 + "@example.com",
        "a@localhost",
        "user@contest",
        "a..b@example.com",
        "İ@example.com",
    ],
    "wechat_openid": ["o1", "", " o2", "o" * 129, "\t"],
    "device_id": ["dev-1", "", "d" * 128],
    "timezone": ["Asia/Shanghai", " Asia/Shanghai", "UTC", "Mars/Olympus", "", "asia/shanghai"],
    "language": ["zh", "en", "zh-CN", "en_US", "fr", "ZH", " en ", ""],
    "region": ["SH", "", "r" * 64, "r" * 65, " 北京 "],
    "source": ["app", "APP", " web ", "pigeon", ""],
    "created_at": [
        "2024-01-01",
        "2024-01-01T08:00:00+08:00",
        "1704067200",
        "1704067200000",
        "yesterday",
        "-5",
        "",
        "9999-12-31",
        "6000-01-01",
        "1e5",
        "2100-01-01",
        " 2024-02-01 ",
        "2024-02-30",
    ],
}
COLUMNS = list(EDGE)


def _cell(field: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(EDGE[field]), st.text(max_size=12))


def _by_row(field: str, raw: str) -> tuple[bool, Any]:
    """What the row path makes of one cell: (ok, value); empty cells are (True, None)."""
    spec = FIELDS[field]
    if raw == "":
        return (not spec.required), None
    try:
        value = spec.check(raw)
    except ValueError:
        return False, None
    return not (spec.required and value == ""), value  # blank once trimmed: missing


@pytest.mark.parametrize("field", COLUMNS)
def test_edge_values_get_the_row_validators_verdict(field: str) -> None:
    col = EDGE[field]
    vals, bad = _columns(field, col)
    for i, raw in enumerate(col):
        ok, value = _by_row(field, raw)
        assert (not bad[i]) == ok, (field, raw)
        assert vals[i] == (value if ok else None), (field, raw)


def _columns(field: str, col: list[str]) -> tuple[list[Any], list[bool]]:
    """What the Arrow column path makes of a column: values (None where bad) and bad flags."""
    vals, bad = check_column(pa.array(col, pa.string()), BULK[field], FIELDS[field])
    values = vals.to_pylist()
    return [None if b else x for x, b in zip(values, bad, strict=True)], bad.tolist()


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(COLUMNS).flatmap(lambda f: st.tuples(st.just(f), st.lists(_cell(f)))))
def test_generated_columns_agree_with_the_row_validators(case: tuple[str, list[str]]) -> None:
    field, col = case
    vals, bad = _columns(field, col)
    expected = [(ok, value if ok else None) for ok, value in map(partial(_by_row, field), col)]
    assert [(not bad[i], vals[i]) for i in range(len(col))] == expected


def _write(path: Path, rows: list[list[str]], *, bom: bool, crlf: bool, blank: bool) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n" if crlf else "\n")
    w.writerow(COLUMNS)
    for i, row in enumerate(rows):
        if blank and i % 3 == 1:
            buf.write("\r\n" if crlf else "\n")
        w.writerow(row)
    path.write_text(("\ufeff" if bom else "") + buf.getvalue(), encoding="utf-8")


def _parse(path: Path, how: str = "auto") -> tuple[Parsed, list[str]]:
    """Parse ``path`` the way ``how`` says.

    ``arrow`` (pyarrow; may raise LinesUnknown), ``csv`` (the csv module, column-wise),
    ``rows`` (row by row) or ``auto`` (``parse``).
    """
    reader = Reader(path, "csv", {}, tuple(FIELDS), ("user_id",))
    ticker = Ticker(None)
    with paused_gc():
        if how == "auto":
            parsed = import_users.parse(reader, ticker)
        else:
            if how == "rows":
                parsed = table_parse.parse_rows(reader, ticker, import_users.SPEC)
            else:
                arrow = how == "arrow"
                parsed = table_parse.parse_columns(reader, ticker, import_users.SPEC, arrow=arrow)
            import_users._drop_duplicates(parsed, reader)
    reader.problems.sort(key=lambda p: p.line or 0)
    return parsed, [str(p) for p in reader.problems]


ROW = st.tuples(*(_cell(f) for f in COLUMNS)).map(list)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(
        st.one_of(ROW, ROW.map(lambda r: r[:3]), st.sampled_from([["u1"] + [""] * 10])),
        max_size=12,
    ),
    bom=st.booleans(),
    crlf=st.booleans(),
    blank=st.booleans(),
)
def test_a_generated_file_parses_the_same_both_ways(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rows: list[list[str]],
    bom: bool,
    crlf: bool,
    blank: bool,
) -> None:
    """Same records, same problems (text and line numbers) on the column and row paths.

    Tiny batches put quoted line breaks, blank lines and bad widths on batch boundaries.
    The Arrow reader either gives the row path's result or refuses (LinesUnknown).
    """
    monkeypatch.setattr(table_parse, "BATCH", 3)
    monkeypatch.setattr(csv_arrow, "ROWS", 3)
    path = tmp_path / "gen.csv"
    _write(path, rows, bom=bom, crlf=crlf, blank=blank)
    expected = _parse(path, "rows")
    assert _parse(path, "csv") == expected
    assert _parse(path, "auto") == expected
    try:
        by_arrow = _parse(path, "arrow")
    except LinesUnknown:
        return
    assert by_arrow == expected


def test_quoted_line_breaks_keep_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text(
        'user_id,name,phone\r\nu1,"two\r\nlines",13800000001\r\nu2,"a\rb\nc",nope\r\n'
        "u3,plain,13800000003\r\n",
        encoding="utf-8",
    )
    parsed, problems = _parse(path)
    assert [r[0] for r in parsed.records] == ["u1", "u3"]
    assert problems == [f"{path}:4 phone='nope': not a phone number"]
    assert _parse(path, "rows")[1] == problems
    with pytest.raises(LinesUnknown):
        _parse(path, "arrow")


def test_line_numbers_that_do_not_add_up_are_refused() -> None:
    assert _lines([["a"], ["b\nc"], []], 2, 6) == [2, 3, 5]
    with pytest.raises(LinesUnknown):
        _lines([["a"], ["b"]], 2, 5)


def test_a_file_whose_lines_do_not_add_up_is_read_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from userops.cdp.ingest import readers

    def unsure(*_: object) -> list[int]:
        raise LinesUnknown("test")

    path = tmp_path / "multi.csv"
    path.write_text('user_id,name,phone\nu1,"a\nb",1\nu2,ok,13800000002\n', encoding="utf-8")
    monkeypatch.setattr(readers, "_lines", unsure)
    reader = Reader(path, "csv", {}, tuple(FIELDS), ("user_id",))
    parsed = import_users.parse(reader, Ticker(None))
    assert [r[0] for r in parsed.records] == ["u2"]
    assert [str(p) for p in reader.problems] == [f"{path}:2 phone='1': not a phone number"]

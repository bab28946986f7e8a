from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.cdp.import_support import IMPORT_DATA, USER_HEADER, counts, snapshot, write_csv
from userops.cdp.ingest.importer import import_file
from userops.errors import BadInput


def _problems(engine: Engine, kind: str, path: Path) -> list[str]:
    with pytest.raises(BadInput) as exc:
        import_file(engine, kind, path)
    return exc.value.render().splitlines()


def test_bad_users_write_nothing_and_name_each_row(any_engine: Engine) -> None:
    before = counts(any_engine)
    path = IMPORT_DATA / "users_bad.csv"
    lines = _problems(any_engine, "users", path)
    assert counts(any_engine) == before
    assert lines == [
        f"{path}:3 email='not-an-email': not a valid e-mail address"
        " (An email address must have an @-sign.)",
        f"{path}:4 phone='12345': not a valid phone number",
        f"{path}:5 timezone='Mars/Olympus': not an IANA time zone (e.g. Asia/Shanghai)",
        f"{path}:6 language='fr': language must be zh or en",
        f"{path}:7 created_at='yesterday': not an ISO-8601 date/time or epoch seconds",
        f"{path}:8 user_id='': required value is missing",
    ]


def test_bad_events_and_consents_write_nothing(sqlite_engine: Engine) -> None:
    import_file(sqlite_engine, "users", IMPORT_DATA / "users.csv")
    before = snapshot(sqlite_engine)
    ev = IMPORT_DATA / "events_bad.csv"
    lines = _problems(sqlite_engine, "events", ev)
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{ev}:3 type='purchase'",
        f"{ev}:4 channel='carrier_pigeon'",
        f"{ev}:5 user_id='ghost-9'",
        f"{ev}:6 amount='abc'",
        f"{ev}:7 properties='[1'",
    ]
    assert lines[0].endswith(
        "unknown event type; expected one of: "
        + ", ".join(__import__("userops.domain", fromlist=["EVENT_TYPES"]).EVENT_TYPES)
    )
    assert lines[2].endswith("unknown user (import users first)")
    co = IMPORT_DATA / "consents_bad.csv"
    lines = _problems(sqlite_engine, "consents", co)
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{co}:3 channel='fax'",
        f"{co}:4 status='maybe'",
    ]
    assert snapshot(sqlite_engine) == before


def test_sixty_bad_rows_show_fifty_and_count_the_rest(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    rows = [f"u{i},,,bad-{i},,,,,," for i in range(60)] + ["ok,,,ok@example.com,,,,,,"]
    path = write_csv(tmp_path / "bad.csv", USER_HEADER, rows)
    lines = _problems(sqlite_engine, "users", path)
    assert len(lines) == 51
    assert lines[0].startswith(f"{path}:2 email='bad-0': ")
    assert lines[49].startswith(f"{path}:51 email='bad-49': ")
    assert lines[50] == "... and 10 more"
    assert counts(sqlite_engine)["users"] == 0


def test_file_level_problems(sqlite_engine: Engine, tmp_path: Path) -> None:
    no_id = write_csv(tmp_path / "noid.csv", "name,phone", ["x,13900000001"])
    assert _problems(sqlite_engine, "users", no_id)[0].startswith(
        f"{no_id}:1 user_id='': missing required column"
    )
    ragged = write_csv(tmp_path / "ragged.csv", "user_id,name", ["a,b,c"])
    assert _problems(sqlite_engine, "users", ragged) == [f"{ragged}:2: expected 2 fields, got 3"]
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text('{"user_id": "a"}\n{oops\n[1]\n', encoding="utf-8")
    lines = _problems(sqlite_engine, "users", bad_json)
    assert lines[0].startswith(f"{bad_json}:2: not valid JSON")
    assert lines[1] == f"{bad_json}:3: line is not a JSON object"
    dup = write_csv(tmp_path / "dup.csv", "user_id", ["a", "a"])
    assert _problems(sqlite_engine, "users", dup) == [
        f"{dup}:3 user_id='a': duplicate user_id (first on line 2)"
    ]
    assert _problems(sqlite_engine, "users", tmp_path / "missing.csv") == [
        f"{tmp_path / 'missing.csv'}: file not found"
    ]
    assert counts(sqlite_engine)["users"] == 0


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("+1 650 253 0000", True),
        ("008613812345678", True),
        ("010-12345678", True),
        ("1381234567", False),
        ("a@b.test", False),
        ("user.name+tag@sub.example.co", True),
        ("用户@例子.公司", True),
        ("a..b@example.com", False),
    ],
)
def test_validators_fast_and_slow_paths(value: str, ok: bool) -> None:
    from userops.cdp.ingest import validate

    check = validate.email if "@" in value else validate.phone
    if ok:
        check(value)
    else:
        with pytest.raises(ValueError):
            check(value)


def test_mapping_from_a_column_the_header_lacks(sqlite_engine: Engine) -> None:
    path = IMPORT_DATA / "users_mapped.csv"
    with pytest.raises(BadInput) as exc:
        import_file(sqlite_engine, "users", path, mapping={"cell": "phone", "cust_id": "user_id"})
    assert exc.value.render() == f"{path}:1 --map='cell=phone': mapped column not in header"
    assert counts(sqlite_engine)["users"] == 0


def test_unknown_kind_and_format(sqlite_engine: Engine) -> None:
    with pytest.raises(BadInput, match="unknown import kind"):
        import_file(sqlite_engine, "orders", IMPORT_DATA / "users.csv")
    with pytest.raises(BadInput, match="unknown format"):
        import_file(sqlite_engine, "users", IMPORT_DATA / "users.csv", fmt="xml")

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.cdp.import_support import IMPORT_DATA, USER_HEADER, counts, snapshot, write_csv
from userops.cdp.ingest import csv_arrow
from userops.cdp.ingest.importer import import_file
from userops.errors import BadInput


def _users(engine: Engine) -> dict[str, tuple[object, ...]]:
    q = (
        "SELECT external_id, name, phone, email, wechat_openid, device_id, timezone, language,"
        " region, created_ts FROM users"
    )
    with engine.connect() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(text(q))}


def test_users_csv_normalizes_and_reimport_changes_nothing(any_engine: Engine) -> None:
    path = IMPORT_DATA / "users.csv"
    res = import_file(any_engine, "users", path)
    assert (res.rows, res.inserted, res.updated, res.unchanged) == (5, 5, 0, 0)
    users = _users(any_engine)
    assert users["app-1"][1:3] == ("+8613812345678", "zhang.wei@example.com")
    assert users["web-7"][1] == "+8613812345678"  # spaces and +86 normalized to E.164
    assert users["web-7"][6] == "zh"  # zh-CN -> zh
    assert users["web-7"][8] == 1706752800  # 2024-02-01T10:00+08:00
    assert users["us-1"][1] == "+16502530000"
    assert users["us-1"][8] == 1704063600
    assert users["mp-3"][5:7] == ("Asia/Shanghai", "zh")  # defaults
    before = snapshot(any_engine)
    again = import_file(any_engine, "users", path)
    assert (again.inserted, again.updated, again.unchanged, again.merges) == (0, 0, 5, 0)
    assert snapshot(any_engine) == before


def test_jsonl_gives_the_same_records_as_csv(sqlite_engine: Engine) -> None:
    import_file(sqlite_engine, "users", IMPORT_DATA / "users.jsonl")
    from_jsonl = _users(sqlite_engine)
    res = import_file(sqlite_engine, "users", IMPORT_DATA / "users.csv")
    assert res.inserted == 0
    # same values except mp-4's created_ts (missing in both: import time, kept)
    assert _users(sqlite_engine) == from_jsonl
    assert from_jsonl["web-7"][8] == 1706752800


def test_mapping_renames_columns(sqlite_engine: Engine) -> None:
    mapping = {"cust_id": "user_id", "mobile": "phone", "mail": "email", "tz": "timezone"}
    res = import_file(sqlite_engine, "users", IMPORT_DATA / "users_mapped.csv", mapping=mapping)
    assert res.inserted == 2
    assert res.ignored_columns == ["full_name"]
    users = _users(sqlite_engine)
    assert users["crm-1"][1:3] == ("+8613700000001", "wang@example.com")
    assert users["crm-2"][5] == "Asia/Chongqing"


def test_mapping_to_unknown_column_is_refused(sqlite_engine: Engine) -> None:
    with pytest.raises(BadInput) as exc:
        import_file(sqlite_engine, "users", IMPORT_DATA / "users_mapped.csv", mapping={"x": "nope"})
    assert "--map='x=nope': unknown column" in str(exc.value)


def test_update_changes_only_given_fields(sqlite_engine: Engine, tmp_path: Path) -> None:
    first = write_csv(
        tmp_path / "a.csv", USER_HEADER, ["u1,Ann,13900000001,a@example.com,,,,,SH,2024-01-01"]
    )
    import_file(sqlite_engine, "users", first)
    second = write_csv(tmp_path / "b.csv", "user_id,email,region", ["u1,Ann@Example.COM,BJ"])
    res = import_file(sqlite_engine, "users", second)
    assert (res.inserted, res.updated, res.unchanged) == (0, 1, 0)
    u = _users(sqlite_engine)["u1"]
    assert (u[0], u[1], u[2], u[7]) == ("Ann", "+8613900000001", "ann@example.com", "BJ")
    with sqlite_engine.connect() as conn:
        kinds = conn.execute(text("SELECT kind, value FROM identities")).all()
    assert sorted(tuple(k) for k in kinds) == [
        ("email", "a@example.com"),
        ("email", "ann@example.com"),
        ("phone", "+8613900000001"),
    ]
    assert counts(sqlite_engine)["users"] == 1


def test_progress_is_reported(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Progress comes every 10,000 rows validated (in batches of 3,000 rows here)."""
    monkeypatch.setattr(csv_arrow, "ROWS", 3_000)
    rows = [f"u{i},,139{i:08d},,,,,,," for i in range(25_000)]
    path = write_csv(tmp_path / "big.csv", USER_HEADER, rows)
    seen: list[int] = []
    res = import_file(sqlite_engine, "users", path, progress=seen.append)
    assert sum(seen) == 25_000 == res.inserted
    assert len(seen) == 3 and min(seen[:2]) >= 10_000

"""The set-based users write: same stored rows on SQLite and PostgreSQL, on every path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text

from tests.cdp.import_support import USER_HEADER, snapshot, write_csv
from userops.cdp.ingest import users_sql
from userops.cdp.ingest.importer import import_file

FIRST = [
    "a1,Ann,13900000001,ann@example.com,o-1,,,,SH,2024-01-01",
    "a2,Bob,13900000002,,o-2,dev-2,,en,BJ,2024-01-02",
    "a3,Cat,13900000001,,,,Asia/Tokyo,,,2024-01-03",  # shares a1's phone: merged
    "a4,Dan,,dan@example.com,,,,,,2024-01-04",
]
SECOND_HEADER = "user_id,email,device_id,region,source,created_at"
SECOND = [
    "a2,BOB@example.com,,BJ,web,2024-01-02",  # new e-mail identity + a new source: updated
    "a4,dan@example.com,,,,2024-01-04",  # nothing new: unchanged
    "a1,,dev-1,,,",  # only a new device id identity: updated
    "b1,dan@example.com,,GZ,store,2024-02-01",  # new, shares a4's e-mail: merged
]
ID_QUERIES = {
    "users": "SELECT id, external_id, name, phone, email, wechat_openid, device_id, timezone,"
    " language, region, source, created_ts, do_not_contact, merged_into FROM users ORDER BY id",
    "identities": "SELECT id, kind, value, user_id, source FROM identities ORDER BY id",
    "merges": "SELECT survivor_id, merged_id, kind, value, actor, undone_at FROM identity_merges"
    " ORDER BY id",
}


def _stored(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {k: [tuple(r) for r in conn.execute(text(q))] for k, q in ID_QUERIES.items()}


def _run(engine: Engine, tmp_path: Path) -> dict[str, Any]:
    first = write_csv(tmp_path / "first.csv", USER_HEADER, FIRST)
    second = write_csv(tmp_path / "second.csv", SECOND_HEADER, SECOND)
    out: dict[str, Any] = {}
    for name, path in (("first", first), ("second", second)):
        res = import_file(engine, "users", path)
        out[name] = (res.inserted, res.updated, res.unchanged, res.merges, res.extra)
    before = snapshot(engine)
    again = import_file(engine, "users", second)
    out["again"] = (again.inserted, again.updated, again.unchanged, again.merges, again.extra)
    assert snapshot(engine) == before
    out["stored"] = _stored(engine)
    names = [ix["name"] or "" for ix in inspect(engine).get_indexes("identities")]
    out["indexes"] = sorted(n for n in names if n.startswith(("ix_", "ux_")))
    return out


def _check(result: dict[str, Any]) -> None:
    assert result["first"] == (4, 0, 0, 1, {"identities_added": 8})
    assert result["second"] == (1, 2, 1, 1, {"identities_added": 3})
    assert result["again"] == (0, 0, 4, 0, {"identities_added": 0})
    users = {u[1]: u for u in result["stored"]["users"]}
    assert [u[1] for u in result["stored"]["users"]] == ["a1", "a2", "a3", "a4", "b1"]
    assert users["a2"][4] == "bob@example.com" and users["a2"][10] == "web"
    assert users["a3"][7] == "Asia/Tokyo" and users["a3"][13] == users["a1"][0]
    assert users["b1"][13] == users["a4"][0]
    kinds = [(k, v) for _, k, v, _, _ in result["stored"]["identities"]]
    assert ("device_id", "dev-1") in kinds and ("email", "bob@example.com") in kinds
    assert kinds.count(("email", "dan@example.com")) == 2
    assert result["indexes"] == ["ix_identities_user_id", "ux_identities_kind_value_user"]


@pytest.mark.parametrize("rebuild_min", [1, 10**9])
def test_sqlite_paths_upsert_and_reimport(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rebuild_min: int
) -> None:
    """Insert into an empty store, then upsert into a filled one, with and without rebuild."""
    monkeypatch.setattr(users_sql, "REBUILD_MIN", rebuild_min)
    _check(_run(sqlite_engine, tmp_path))
    folder = Path(str(sqlite_engine.url.database)).parent
    assert not list(folder.glob(".userops-stage-*")), "scratch files are removed"


@pytest.mark.pg
def test_postgresql_stores_exactly_what_sqlite_stores(
    sqlite_engine: Engine, pg_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users_sql, "REBUILD_MIN", 1)
    lite = _run(sqlite_engine, tmp_path)
    pg = _run(pg_engine, tmp_path)
    _check(pg)
    assert pg["stored"]["merges"] == lite["stored"]["merges"]
    assert pg == lite

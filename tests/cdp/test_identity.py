from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from tests.cdp.import_support import USER_HEADER, snapshot, write_csv
from userops.cdp.identity.merge_plan import plan_merges
from userops.cdp.identity.resolve import canonical_id, resolve_identities, unmerge
from userops.cdp.ingest.importer import import_file
from userops.errors import Conflict, NotFound
from userops.store.models import IdentityMerge


def _ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT external_id, id FROM users")).tuples().all())


def _merged_into(engine: Engine) -> dict[str, str | None]:
    q = "SELECT u.external_id, s.external_id FROM users u LEFT JOIN users s ON s.id = u.merged_into"
    with engine.connect() as conn:
        return dict(conn.execute(text(q)).tuples().all())


def _active_merges(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        q = select(IdentityMerge.merged_id, IdentityMerge.survivor_id).where(
            IdentityMerge.undone_at.is_(None)
        )
        return dict(conn.execute(q).tuples().all())


def _assert_consistent(engine: Engine) -> None:
    """Every merged record points at a root, and has exactly one active merge row to it."""
    with engine.connect() as conn:
        merged = dict(
            conn.execute(text("SELECT id, merged_into FROM users WHERE merged_into IS NOT NULL"))
            .tuples()
            .all()
        )
    assert not set(merged.values()) & set(merged), "merge chains"
    assert _active_merges(engine) == merged


def _import_users(engine: Engine, tmp_path: Path, name: str, rows: list[str]) -> int:
    path = write_csv(tmp_path / name, USER_HEADER, rows)
    return import_file(engine, "users", path).merges


THREE = [
    "a,A,13800000001,,,,,,,2024-01-01",
    "b,B,13800000001,,openid-1,,,,,2024-01-02",
    "c,C,,,openid-1,,,,,2024-01-03",
]


def test_plan_is_deterministic_and_picks_lowest_id() -> None:
    rows = [
        ("phone", "p", 5),
        ("phone", "p", 3),
        ("email", "e", 3),
        ("email", "e", 9),
        ("device_id", "d", 7),
    ]
    first = plan_merges(rows)
    for _ in range(5):
        random.shuffle(rows)
        again = plan_merges(rows)
        assert again.root == first.root and again.link == first.link
    assert first.root == {3: 3, 5: 3, 9: 3}
    assert first.link == {5: ("phone", "p"), 9: ("email", "e")}


def test_plan_respects_cannot_link() -> None:
    rows = [
        ("phone", "p", 1),
        ("phone", "p", 2),
        ("wechat_openid", "o", 2),
        ("wechat_openid", "o", 3),
    ]
    plan = plan_merges(rows, [(2, 1)])
    assert plan.root == {1: 1, 2: 2, 3: 2}


def test_three_records_sharing_phone_and_openid_merge(any_engine: Engine, tmp_path: Path) -> None:
    assert _import_users(any_engine, tmp_path, "u.csv", THREE) == 2
    assert _merged_into(any_engine) == {"a": None, "b": "a", "c": "a"}
    ids = _ids(any_engine)
    with any_engine.connect() as conn:
        assert canonical_id(conn, ids["c"]) == ids["a"]
        assert canonical_id(conn, ids["a"]) == ids["a"]
        kinds = dict(
            conn.execute(text("SELECT merged_id, kind FROM identity_merges")).tuples().all()
        )
        audits = conn.execute(
            text("SELECT count(*) FROM audit WHERE action='identity.merge'")
        ).scalar()
    assert kinds == {ids["b"]: "phone", ids["c"]: "wechat_openid"}
    assert audits == 2
    _assert_consistent(any_engine)
    assert resolve_identities(any_engine) == 0


def test_unmerge_separates_and_takes_dependents_along(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    _import_users(sqlite_engine, tmp_path, "u.csv", THREE)
    ids = _ids(sqlite_engine)
    merge_b = next(m for m, s in _merge_rows(sqlite_engine) if s == ids["b"])
    unmerge(sqlite_engine, merge_b, actor="alice")
    # c was tied to a only through b's openid: it follows b out of the group
    assert _merged_into(sqlite_engine) == {"a": None, "b": None, "c": "b"}
    _assert_consistent(sqlite_engine)
    with sqlite_engine.connect() as conn:
        acts = conn.execute(
            text("SELECT actor, action FROM audit WHERE action != 'identity.merge'")
        ).all()
    assert ("alice", "identity.unmerge") in [tuple(a) for a in acts]
    assert ("alice", "identity.repoint") in [tuple(a) for a in acts]
    before = snapshot(sqlite_engine)
    assert resolve_identities(sqlite_engine) == 0
    assert snapshot(sqlite_engine) == before
    # a new record with a's phone joins a, never b
    assert (
        _import_users(sqlite_engine, tmp_path, "d.csv", ["d,D,13800000001,,,,,,,2024-02-01"]) == 1
    )
    assert _merged_into(sqlite_engine) == {"a": None, "b": None, "c": "b", "d": "a"}
    _assert_consistent(sqlite_engine)
    with pytest.raises(Conflict):
        unmerge(sqlite_engine, merge_b)
    with pytest.raises(NotFound):
        unmerge(sqlite_engine, 999_999)


def _merge_rows(engine: Engine) -> list[tuple[int, int]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT id, merged_id FROM identity_merges"))]  # type: ignore[misc]


def test_unmerge_restores_previous_state(sqlite_engine: Engine, tmp_path: Path) -> None:
    _import_users(sqlite_engine, tmp_path, "u.csv", THREE[:2])
    ids = _ids(sqlite_engine)
    assert _merged_into(sqlite_engine) == {"a": None, "b": "a"}
    ((merge_id, _),) = _merge_rows(sqlite_engine)
    unmerge(sqlite_engine, merge_id)
    assert _merged_into(sqlite_engine) == {"a": None, "b": None}
    with sqlite_engine.connect() as conn:
        assert canonical_id(conn, ids["b"]) == ids["b"]
    assert resolve_identities(sqlite_engine) == 0
    assert _merged_into(sqlite_engine) == {"a": None, "b": None}


def test_joining_groups_repoints_to_oldest(sqlite_engine: Engine, tmp_path: Path) -> None:
    _import_users(
        sqlite_engine,
        tmp_path,
        "u.csv",
        ["a,A,13800000001,,,,,,,", "b,B,,b@example.com,,,,,,", "c,C,,b@example.com,,,,,,"],
    )
    assert _merged_into(sqlite_engine) == {"a": None, "b": None, "c": "b"}
    merges = _import_users(
        sqlite_engine, tmp_path, "d.csv", ["d,D,13800000001,b@example.com,,,,,,"]
    )
    assert merges == 2  # b and d are newly merged; c is re-pointed from b to a
    assert _merged_into(sqlite_engine) == {"a": None, "b": "a", "c": "a", "d": "a"}
    _assert_consistent(sqlite_engine)
    with sqlite_engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM audit WHERE action='identity.repoint'")
        ).scalar()
    assert n == 1


def test_scoped_and_full_resolve_agree(sqlite_engine: Engine, tmp_path: Path) -> None:
    _import_users(sqlite_engine, tmp_path, "u.csv", THREE)
    with sqlite_engine.begin() as conn:
        conn.execute(text("DELETE FROM audit"))
        conn.execute(text("DELETE FROM identity_merges"))
        conn.execute(text("UPDATE users SET merged_into = NULL"))
    ids = _ids(sqlite_engine)
    assert resolve_identities(sqlite_engine, [ids["c"]]) == 2
    assert _merged_into(sqlite_engine) == {"a": None, "b": "a", "c": "a"}


def test_unmerge_of_the_bridge_keeps_the_far_side_together(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    # a and b only meet through m (a's phone, b's email); undoing m's merge splits the group
    rows = [
        "a,A,13800000001,,,,,,,",
        "b,B,,b@example.com,,,,,,",
        "m,M,13800000001,b@example.com,,,,,,",
    ]
    assert _import_users(sqlite_engine, tmp_path, "u.csv", rows) == 2
    assert _merged_into(sqlite_engine) == {"a": None, "b": "a", "m": "a"}
    ids = _ids(sqlite_engine)
    merge_m = next(i for i, m in _merge_rows(sqlite_engine) if m == ids["m"])
    unmerge(sqlite_engine, merge_m, actor="bob")
    assert _merged_into(sqlite_engine) == {"a": None, "b": None, "m": "b"}
    _assert_consistent(sqlite_engine)
    before = snapshot(sqlite_engine)
    assert resolve_identities(sqlite_engine) == 0
    assert snapshot(sqlite_engine) == before

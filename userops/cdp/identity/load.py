"""Loading what identity resolution needs: shared identifiers, reachable records, state."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Connection, Table, func, or_, select, tuple_

from userops.cdp.ingest.rows import chunks
from userops.store.models import Identity, IdentityMerge, User

_U = cast(Table, User.__table__)
_I = cast(Table, Identity.__table__)
_M = cast(Table, IdentityMerge.__table__)


def shared_all(conn: Connection) -> list[tuple[str, str, int]]:
    """Every identity row whose identifier is seen on two or more records."""
    dup = (
        select(_I.c.kind, _I.c.value)
        .group_by(_I.c.kind, _I.c.value)
        .having(func.count() > 1)  # (kind, value, user_id) is unique: rows = records
        .subquery()
    )
    q = select(_I.c.kind, _I.c.value, _I.c.user_id).join(
        dup, (dup.c.kind == _I.c.kind) & (dup.c.value == _I.c.value)
    )
    return [(k, v, int(u)) for k, v, u in conn.execute(q)]


def shared_closure(
    conn: Connection, seeds: list[int]
) -> tuple[list[tuple[str, str, int]], set[int]]:
    """Identity rows and records reachable from ``seeds`` through identifiers and groups."""
    seen: set[int] = set()
    seen_kv: set[tuple[str, str]] = set()
    rows: set[tuple[str, str, int]] = set()
    frontier = set(seeds)
    while frontier:
        seen |= frontier
        found: set[int] = set()
        new_kv: set[tuple[str, str]] = set()
        for part in chunks(sorted(frontier)):
            roots = {
                int(r)
                for (r,) in conn.execute(
                    select(func.coalesce(_U.c.merged_into, _U.c.id)).where(_U.c.id.in_(part))
                )
            }
            found |= roots
            found.update(
                int(u)
                for (u,) in conn.execute(
                    select(_U.c.id).where(or_(_U.c.merged_into.in_(roots), _U.c.id.in_(roots)))
                )
            )
            q = select(_I.c.kind, _I.c.value).where(_I.c.user_id.in_(part))
            new_kv.update((k, v) for k, v in conn.execute(q))
        new_kv -= seen_kv
        seen_kv |= new_kv
        for kvs in chunks(sorted(new_kv), 1000):
            q_rows = select(_I.c.kind, _I.c.value, _I.c.user_id).where(
                tuple_(_I.c.kind, _I.c.value).in_(list(kvs))
            )
            for k, v, u in conn.execute(q_rows):
                rows.add((k, v, int(u)))
                found.add(int(u))
        frontier = found - seen
    return sorted(rows), seen


def state(conn: Connection, nodes: list[int]) -> tuple[dict[int, int], dict[int, tuple[int, int]]]:
    """Current ``merged_into`` (merged records only) and active merges of ``nodes``."""
    current: dict[int, int] = {}
    active: dict[int, tuple[int, int]] = {}
    for part in chunks(nodes):
        q = select(_U.c.id, _U.c.merged_into).where(
            _U.c.id.in_(part), _U.c.merged_into.is_not(None)
        )
        current.update((int(i), int(m)) for i, m in conn.execute(q))
        q2 = select(_M.c.merged_id, _M.c.id, _M.c.survivor_id).where(
            _M.c.merged_id.in_(part), _M.c.undone_at.is_(None)
        )
        active.update((int(m), (int(i), int(s))) for m, i, s in conn.execute(q2))
    return current, active

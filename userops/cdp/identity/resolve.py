"""Identity resolution: records sharing a phone, e-mail, openid, unionid or device id merge.

Merges are deterministic (the survivor is the lowest record id of a group; groups are built
by :mod:`userops.cdp.identity.merge_plan`), recorded (one active ``identity_merges`` row per merged
record, whose ``survivor_id`` always equals the record's ``merged_into``; audit rows for
every change) and reversible (:func:`unmerge`). An undone merge is a cannot-link pair: later
runs never put those two records in one group again, and records that were only tied to the
survivor through the unmerged record follow it out of the group.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, insert, select, update

from userops.cdp.identity.load import shared_all, shared_closure, state
from userops.cdp.identity.merge_plan import MergePlan, plan_merges
from userops.cdp.ingest.rows import chunks
from userops.errors import Conflict, NotFound
from userops.store.models import AuditLog, Identity, IdentityMerge, User

_U = cast(Table, User.__table__)
_I = cast(Table, Identity.__table__)
_M = cast(Table, IdentityMerge.__table__)
_A = cast(Table, AuditLog.__table__)


def canonical_id(conn: Connection, user_id: int) -> int:
    """Return the canonical user (survivor) of record ``user_id``.

    Raises:
        NotFound: no such record.
    """
    found = conn.execute(
        select(func.coalesce(_U.c.merged_into, _U.c.id)).where(_U.c.id == user_id)
    ).scalar()
    if found is None:
        raise NotFound(f"user {user_id} not found")
    return int(found)


def resolve_identities(engine: Engine, user_ids: list[int] | None = None) -> int:
    """Merge records that share identifiers; return the number of new merges.

    Args:
        engine: The store.
        user_ids: Only resolve the groups these records can reach (all records when None).
    """
    with engine.begin() as conn:
        return resolve_in(conn, user_ids=user_ids)


def unmerge(engine: Engine, merge_id: int, actor: str = "system") -> None:
    """Undo merge ``merge_id``: the merged record becomes its own user again, for good.

    Records that were tied to the survivor only through the unmerged record are re-pointed
    (to the unmerged record's new group); the decision is audited.

    Raises:
        NotFound: no such merge.
        Conflict: the merge was already undone.
    """
    with engine.begin() as conn:
        row = conn.execute(select(_M).where(_M.c.id == merge_id)).mappings().first()
        if row is None:
            raise NotFound(f"identity merge {merge_id} not found")
        if row["undone_at"] is not None:
            raise Conflict(f"identity merge {merge_id} was already undone", current=dict(row))
        survivor, merged = row["survivor_id"], row["merged_id"]
        conn.execute(update(_M).where(_M.c.id == merge_id).values(undone_at=datetime.now(UTC)))
        conn.execute(update(_U).where(_U.c.id == merged).values(merged_into=None))
        _audit(
            conn, actor, "identity.unmerge", merged, {"merge_id": merge_id, "survivor_id": survivor}
        )
        resolve_in(conn, user_ids=[survivor, merged], actor=actor)


def resolve_in(conn: Connection, user_ids: list[int] | None = None, actor: str = "system") -> int:
    """Resolve identities inside the caller's transaction; return the number of new merges."""
    if user_ids is None:
        shared = shared_all(conn)
        current = dict(
            conn.execute(
                select(_U.c.id, _U.c.merged_into).where(_U.c.merged_into.is_not(None))
            ).all()
        )
        active = {
            r[0]: (r[1], r[2])
            for r in conn.execute(
                select(_M.c.merged_id, _M.c.id, _M.c.survivor_id).where(_M.c.undone_at.is_(None))
            )
        }
        nodes = {u for _, _, u in shared} | set(current) | set(active)
    else:
        shared, nodes = shared_closure(conn, user_ids)
        current, active = state(conn, sorted(nodes))
    constraints = conn.execute(
        select(_M.c.merged_id, _M.c.survivor_id).where(_M.c.undone_at.is_not(None))
    ).all()
    plan = plan_merges(shared, [(int(a), int(b)) for a, b in constraints])
    return _apply(conn, plan, sorted(nodes), current, active, actor)


def _apply(
    conn: Connection,
    plan: MergePlan,
    nodes: list[int],
    current: dict[int, int],
    active: dict[int, tuple[int, int]],
    actor: str,
) -> int:
    """Write the difference between the plan and the stored state."""
    now = datetime.now(UTC)
    moves: list[dict[str, Any]] = []
    merges: list[dict[str, Any]] = []
    repoints: list[dict[str, Any]] = []
    undos: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    for n in nodes:
        root = plan.root.get(n, n)
        want = None if root == n else root
        if current.get(n) != want:
            moves.append({"_id": n, "merged_into": want})
        act = active.get(n)
        if want is None:
            if act is not None:
                undos.append({"_id": act[0], "undone_at": now})
                audits.append(
                    _audit_row(
                        actor,
                        "identity.unmerge",
                        n,
                        {"merge_id": act[0], "survivor_id": act[1], "reason": "no longer linked"},
                    )
                )
        elif act is None:
            kind, value = plan.link[n]
            merges.append(
                {
                    "survivor_id": want,
                    "merged_id": n,
                    "kind": kind,
                    "value": value,
                    "actor": actor,
                    "at": now,
                }
            )
            audits.append(
                _audit_row(actor, "identity.merge", n, {"survivor_id": want, "kind": kind})
            )
        elif act[1] != want:
            repoints.append({"_id": act[0], "survivor_id": want})
            audits.append(
                _audit_row(
                    actor,
                    "identity.repoint",
                    n,
                    {"merge_id": act[0], "old_survivor_id": act[1], "survivor_id": want},
                )
            )
    _bulk_update(conn, _U, moves)
    _bulk_update(conn, _M, repoints)
    _bulk_update(conn, _M, undos)
    for table, rows in ((_M, merges), (_A, audits)):
        for part in chunks(rows):
            conn.execute(insert(table), list(part))
    return len(merges)


def _bulk_update(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    from sqlalchemy import bindparam

    for part in chunks(rows):
        conn.execute(update(table).where(table.c.id == bindparam("_id")), list(part))


def _audit_row(actor: str, action: str, user_id: int, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "actor": actor,
        "action": action,
        "entity_type": "user",
        "entity_id": str(user_id),
        "detail": detail,
        "at": datetime.now(UTC),
    }


def _audit(conn: Connection, actor: str, action: str, user_id: int, detail: dict[str, Any]) -> None:
    conn.execute(insert(_A).values(**_audit_row(actor, action, user_id, detail)))

"""Member rows: atomic claims of due members, moves, leases.

A claim is one statement, ``UPDATE … WHERE id IN (SELECT … ORDER BY due_ts LIMIT n) RETURNING
…`` (with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two workers never hold one member;
a member whose worker died is claimed again once its lease has expired. A move changes the
member only while the mover still holds its lease and the member is still at the node it
was evaluated at, so a move is never applied twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from userops.dispatch.sql import fetch, in_list, is_pg, list_param, many

_COLS = (
    "id, version_id, journey_id, user_id, entry_no, node_id, visit, due_ts, since_ts,"
    " node_event, woke_event, sends, attrs"
)
_CLAIM = (
    "UPDATE journey_members SET lease_owner = ?, lease_until_ts = ? WHERE id IN"
    " (SELECT id FROM journey_members WHERE state = 'active' AND due_ts <= ?"
    " AND (lease_until_ts IS NULL OR lease_until_ts < ?) AND {versions}"
    " ORDER BY due_ts LIMIT ?{lock}) RETURNING " + _COLS
)
_LOCK = (
    "SELECT " + _COLS + ", lease_owner FROM journey_members WHERE state = 'active'"
    " AND due_ts <= ? AND (lease_until_ts IS NULL OR lease_until_ts < ?)"
    " AND version_id = ANY(?::int[]) ORDER BY due_ts LIMIT ? FOR UPDATE SKIP LOCKED"
)
_MINE = (
    "SELECT " + _COLS + " FROM journey_members WHERE {ids} AND lease_owner = ?"
    " AND state = 'active' AND due_ts <= ?"
)
_MOVE = (
    "UPDATE journey_members SET node_id = ?, visit = ?, due_ts = ?, since_ts = ?,"
    " node_event = ?, woke_event = NULL, sends = ?, state = ?, exit_reason = ?, exited_ts = ?,"
    " attrs = {json}, lease_owner = ?, lease_until_ts = ?"
    " WHERE id = ? AND lease_owner {same} ? AND node_id = ? AND visit = ? AND state = 'active'"
)
_DONE = (
    "INSERT INTO journey_steps_done (version_id, journey_id, user_id, entry_no, node_id, visit,"
    " outcome, channel, variant, reason, next_node, ts)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)

_STEP_COLS = (
    "version_id int, journey_id text, user_id int, entry_no int, node_id text, visit int,"
    " outcome text, channel text, variant text, reason text, next_node text, ts bigint"
)
_DONE_PG = (
    "INSERT INTO journey_steps_done (version_id, journey_id, user_id, entry_no, node_id, visit,"
    " outcome, channel, variant, reason, next_node, ts) SELECT * FROM"
    " json_to_recordset(CAST(? AS json)) AS v(" + _STEP_COLS + ") ON CONFLICT DO NOTHING"
    " RETURNING 1"
)
_MOVE_COLS = (
    "node_id text, visit int, due_ts bigint, since_ts bigint, node_event bigint, sends int,"
    " state text, exit_reason text, exited_ts bigint, attrs json, lease_owner text,"
    " lease_until_ts bigint, id int, owner text, old_node text, old_visit int"
)
_MOVE_PG = (
    "UPDATE journey_members m SET node_id = v.node_id, visit = v.visit, due_ts = v.due_ts,"
    " since_ts = v.since_ts, node_event = v.node_event, woke_event = NULL, sends = v.sends,"
    " state = v.state, exit_reason = v.exit_reason, exited_ts = v.exited_ts,"
    " attrs = v.attrs, lease_owner = v.lease_owner, lease_until_ts = v.lease_until_ts"
    " FROM json_to_recordset(CAST(? AS json)) AS v(" + _MOVE_COLS + ") WHERE m.id = v.id"
    " AND m.lease_owner IS NOT DISTINCT FROM v.owner AND m.node_id = v.old_node"
    " AND m.visit = v.old_visit AND m.state = 'active' RETURNING 1"
)
"""PostgreSQL: a batch's steps and moves in one statement each (arrays, not a round trip
per row); the same conditions as :data:`_DONE` and :data:`_MOVE`."""


@dataclass(slots=True)
class Member:
    """One claimed member."""

    id: int
    version_id: int
    journey_id: str
    user_id: int
    entry_no: int
    node_id: str
    visit: int
    due_ts: int
    since_ts: int
    node_event: int
    woke_event: int | None
    sends: int
    attrs: dict[str, Any] = field(default_factory=dict)
    locked: bool = False
    """Row-locked in the mover's transaction (:func:`lock_due`), not leased."""
    held_by: str | None = None
    """The row's lease owner when it was locked (a lapsed lease, or none)."""


@dataclass(slots=True)
class Move:
    """What happens to a member at its node: the step record and where it goes."""

    member: Member
    outcome: str
    next_node: str | None
    """None: the member exits (``exit_reason``)."""
    exit_reason: str | None = None
    channel: str | None = None
    variant: str | None = None
    reason: str | None = None
    due_ts: int = 0
    node_event: int = 0
    visit: int = 0
    sent: int = 0
    first: Member | None = None
    """The member as claimed, when this move ends a chain of hops in one transaction
    (:func:`userops.journeys.advance.chain`): the move applies only if the row is still there."""


def _member(r: Sequence[Any]) -> Member:
    attrs = r[12] if r[12] is None or isinstance(r[12], dict) else json.loads(r[12])
    return Member(
        int(r[0]), int(r[1]), str(r[2]), int(r[3]), int(r[4]), str(r[5]), int(r[6]),
        int(r[7]), int(r[8]), int(r[9]), r[10], int(r[11]), attrs or {},
    )  # fmt: skip


def claim(
    conn: Connection, *, owner: str, now: int, lease_s: int, limit: int, versions: list[int]
) -> list[Member]:
    """Lease up to ``limit`` due members of ``versions`` to ``owner`` (oldest due first)."""
    if not versions:
        return []
    lock = " FOR UPDATE SKIP LOCKED" if is_pg(conn) else ""
    stmt = _CLAIM.format(versions=in_list(conn, "version_id"), lock=lock)
    params = [owner, now + lease_s, now, now, list_param(conn, versions), limit]
    return [_member(r) for r in fetch(conn, stmt, params)]


def lock_due(conn: Connection, *, now: int, limit: int, versions: list[int]) -> list[Member]:
    """PostgreSQL: lock up to ``limit`` due, unleased members of ``versions``.

    Oldest due first, ``FOR UPDATE SKIP LOCKED``, until the transaction ends; nothing is
    written.
    """
    if not versions:
        return []
    # Walk ix_journey_members_due in due order and stop at ``limit``: a freshly filled
    # table's stale statistics make the planner sort every active member of ``versions``
    # instead (spilling to disk), each batch. LOCAL: this transaction only.
    conn.exec_driver_sql("SET LOCAL enable_sort = off")
    out = []
    for r in fetch(conn, _LOCK, [now, now, list(versions), limit]):
        m = _member(r)
        m.locked, m.held_by = True, r[13]
        out.append(m)
    return out


def lease(conn: Connection, batch: list[Member], *, owner: str, until: int) -> None:
    """Lease the members of ``batch`` (locked by this transaction) to ``owner``."""
    if batch:
        stmt = "UPDATE journey_members SET lease_owner = ?, lease_until_ts = ? WHERE "
        many(conn, stmt + in_list(conn, "id"), [(owner, until, [m.id for m in batch])])
    for m in batch:
        m.locked, m.held_by = False, None


def still_mine(conn: Connection, ids: list[int], *, owner: str, now: int) -> list[Member]:
    """Members of ``ids`` that ``owner`` still leases and that are due again now."""
    if not ids:
        return []
    stmt = _MINE.format(ids=in_list(conn, "id"))
    return [_member(r) for r in fetch(conn, stmt, [list_param(conn, ids), owner, now])]


def release(conn: Connection, ids: list[int], *, owner: str) -> None:
    """Give up ``owner``'s leases on ``ids``."""
    if ids:
        stmt = (
            "UPDATE journey_members SET lease_owner = NULL, lease_until_ts = NULL WHERE "
            + in_list(conn, "id")
            + " AND lease_owner = ?"
        )
        many(conn, stmt, [(list_param(conn, ids), owner)])


def record_steps(conn: Connection, moves: list[Move], now: int) -> None:
    """Insert the steps-done rows of ``moves`` (a row already there is kept)."""
    rows = [
        (
            m.member.version_id, m.member.journey_id, m.member.user_id, m.member.entry_no,
            m.member.node_id, m.member.visit, m.outcome, m.channel, m.variant, m.reason,
            m.next_node, now,
        )
        for m in moves
    ]  # fmt: skip
    if is_pg(conn) and len(rows) > 1:
        fetch(conn, _DONE_PG, _records(_STEP_COLS, rows))
    else:
        many(conn, _DONE, rows)


def _records(cols: str, rows: list[tuple[Any, ...]]) -> list[str]:
    """Rows as the one JSON parameter of a ``json_to_recordset`` with columns ``cols``."""
    names = [c.strip().split(" ")[0] for c in cols.split(",")]
    return [json.dumps([dict(zip(names, r, strict=True)) for r in rows], ensure_ascii=False)]


def apply_moves(
    conn: Connection,
    moves: list[Move],
    *,
    owner: str,
    now: int,
    lease_until: int,
    steps: list[Move] | None = None,
) -> None:
    """Record the steps and move the members (keeping the lease of those due again now).

    ``moves`` holds one move per member; ``steps`` (default: ``moves``) the steps to record.
    """
    record_steps(conn, moves if steps is None else steps, now)
    rows = []
    for m in moves:
        mem = m.member
        was = m.first or mem
        held = was.held_by if was.locked else owner
        exiting = m.next_node is None
        again = not exiting and m.due_ts <= now
        attrs = json.dumps(mem.attrs) if mem.attrs else None
        rows.append(
            (
                mem.node_id if exiting else m.next_node,
                mem.visit if exiting else m.visit,
                mem.due_ts if exiting else m.due_ts,
                mem.since_ts if exiting else now,
                mem.node_event if exiting else m.node_event,
                mem.sends + m.sent,
                "exited" if exiting else "active",
                m.exit_reason if exiting else None,
                now if exiting else None,
                attrs,
                owner if again else None,
                lease_until if again else None,
                mem.id, held, was.node_id, was.visit,
            )
        )  # fmt: skip
    if is_pg(conn) and len(rows) > 1:
        pg_rows = [(*r[:9], json.loads(r[9]) if r[9] else None, *r[10:]) for r in rows]
        fetch(conn, _MOVE_PG, _records(_MOVE_COLS, pg_rows))  # one statement
    else:
        pg = is_pg(conn)  # a null-safe test: a row locked, not leased, may have no owner
        stmt = _MOVE.format(
            json="CAST(? AS JSON)" if pg else "?", same="IS NOT DISTINCT FROM" if pg else "IS"
        )
        many(conn, stmt, rows)

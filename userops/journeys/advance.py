"""Advance due members in batches: evaluate their node, record it, move them on.

One batch (:func:`advance_batch`): claim up to ``limit`` due members of runnable versions
(:mod:`userops.journeys.members`; on PostgreSQL those at a wait, an exit or a split are
locked and moved in one transaction instead, :func:`_lock_and_move`), then hop by hop:
group them by (version, node), evaluate each group set-wise (a send enqueues through the
dispatch engine, a branch is one query on the traits, a split a hash), record the steps and
move the members in one transaction. Members whose next node is due at once (anything but
a wait) go on in the same batch; the rest keep their timer (``due_ts``) and lose the lease.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable, Mapping

from sqlalchemy import Connection, Engine, select

from userops.cdp.segments.spec import SegmentSpec
from userops.cdp.segments.sql import restrict_to_ids, spec_condition, traits
from userops.dispatch.policy import Policy
from userops.dispatch.sql import is_pg
from userops.journeys.hops import MAX_HOPS, chain, split_moves
from userops.journeys.members import (
    Member,
    Move,
    apply_moves,
    claim,
    lease,
    lock_due,
    release,
    still_mine,
)
from userops.journeys.nodes import (
    BranchNode,
    ExitNode,
    Node,
    SendNode,
    SplitNode,
    WaitForEventNode,
    WaitNode,
)
from userops.journeys.send import VersionCtx, send_moves

PURE = (WaitNode, WaitForEventNode, ExitNode, SplitNode)
"""Nodes whose hop changes nothing but the member's row (and its step)."""


def _branch(conn: Connection, node: BranchNode, batch: list[Member], now: int) -> list[Move]:
    left = {m.user_id for m in batch}
    target: dict[int, str] = {}
    for case in node.cases:
        if not left:
            break
        spec = case.segment or SegmentSpec.model_validate({"all": [case.trait]})
        cond = restrict_to_ids(spec_condition(spec, as_of_ts=now), sorted(left))
        for uid in conn.execute(select(traits.c.user_id).where(cond)).scalars():
            target[int(uid)] = case.next
            left.discard(int(uid))
    return [Move(m, "branch", target.get(m.user_id, node.otherwise), reason=None) for m in batch]


def _wait_for_event(node: WaitForEventNode, batch: list[Member], now: int) -> list[Move]:
    out = []
    for m in batch:
        if m.woke_event is not None:
            out.append(Move(m, "happened", node.happened))
        elif now >= m.since_ts + node.timeout.seconds():
            out.append(Move(m, "timed_out", node.timed_out))
    return out


def evaluate(
    engine: Engine,
    vc: VersionCtx,
    node: Node,
    batch: list[Member],
    now: int,
    policy: Policy,
    winners: Mapping[tuple[int, str], str] | None = None,
) -> list[Move]:
    """The moves of ``batch``, all at ``node`` of version ``vc``."""
    if isinstance(node, SendNode):
        return send_moves(engine, vc, node, batch, now, policy)
    if isinstance(node, BranchNode):
        with engine.connect() as conn:
            return _branch(conn, node, batch, now)
    if isinstance(node, SplitNode):
        return split_moves(vc, node, batch, (winners or {}).get((vc.version_id, node.id)))
    return _pure(node, batch, now)


def _lock_and_move(
    conn: Connection,
    vcs: dict[int, VersionCtx],
    owner: str,
    now: int,
    limit: int,
    lease_s: int,
    winners: Mapping[tuple[int, str], str] | None,
) -> tuple[int, list[Member], list[int]]:
    """PostgreSQL: lock due members, move those at a wait, an exit or a split, lease the rest.

    Up to ``limit`` members are locked (``FOR UPDATE SKIP LOCKED``). The hops of those at a
    wait, an exit or a split are taken in this transaction, with no lease written: the row
    lock keeps other workers off until the commit, which records the steps and the moves or
    none of them. The others (sends, branches) are leased, as :func:`claim` would.

    Returns ``(how many locked, members leased, ids leased by their move: due again now)``.
    """
    locked = lock_due(conn, now=now, limit=limit, versions=sorted(vcs))
    at = {m.id: vcs[m.version_id].spec.node(m.node_id) for m in locked}
    rest = [m for m in locked if not isinstance(at[m.id], PURE)]
    lease(conn, rest, owner=owner, until=now + lease_s)
    groups: dict[tuple[int, str], list[Member]] = defaultdict(list)
    for m in locked:
        if isinstance(at[m.id], PURE):
            groups[(m.version_id, m.node_id)].append(m)
    moves: list[Move] = []
    for (vid, _), group in sorted(groups.items()):
        node = at[group[0].id]
        if isinstance(node, SplitNode):
            moves += split_moves(vcs[vid], node, group, (winners or {}).get((vid, node.id)))
        elif not isinstance(node, SendNode | BranchNode):
            moves += _pure(node, group, now)
    moves, steps = chain(conn, vcs, moves, now, winners)
    apply_moves(conn, moves, owner=owner, now=now, lease_until=now + lease_s, steps=steps)
    again = [m.member.id for m in moves if m.next_node is not None and m.due_ts <= now]
    return len(locked), rest, sorted(again)


def _pure(
    node: WaitNode | WaitForEventNode | ExitNode, batch: list[Member], now: int
) -> list[Move]:
    if isinstance(node, WaitNode):
        return [Move(m, "waited", node.next) for m in batch]
    if isinstance(node, WaitForEventNode):
        return _wait_for_event(node, batch, now)
    return [Move(m, "exit", None, exit_reason=node.reason) for m in batch]


def advance_batch(
    engine: Engine,
    vcs: dict[int, VersionCtx],
    *,
    owner: str,
    now: int,
    limit: int,
    lease_s: int,
    policy: Policy,
    hook: Callable[[str], None] | None = None,
    winners: Mapping[tuple[int, str], str] | None = None,
) -> int:
    """Claim and advance one batch of due members of ``vcs``; return how many were claimed.

    ``hook`` (tests) is called with ``"claimed"``, ``"evaluated"`` (messages enqueued, members
    not moved yet) and ``"moved"``, to land faults in between.
    """
    with engine.begin() as conn:
        if is_pg(conn):
            n, batch, again = _lock_and_move(conn, vcs, owner, now, limit, lease_s, winners)
        else:
            batch = claim(
                conn, owner=owner, now=now, lease_s=lease_s, limit=limit, versions=sorted(vcs)
            )
            n, again = len(batch), []
    claimed = [m.id for m in batch] + again  # the leases to give up at the end
    if again:
        with engine.connect() as conn:
            batch += still_mine(conn, again, owner=owner, now=now)
    if hook:
        hook("claimed")
    for _ in range(MAX_HOPS):
        if not batch:
            break
        groups: dict[tuple[int, str], list[Member]] = defaultdict(list)
        for m in batch:
            groups[(m.version_id, m.node_id)].append(m)
        moves: list[Move] = []
        keys = sorted(groups)
        turn = zlib.crc32(owner.encode()) % len(keys)  # workers start on different sends:
        for vid, node_id in keys[turn:] + keys[:turn]:  # each enqueue locks its step (PG)
            group = groups[(vid, node_id)]
            vc = vcs[vid]
            moves += evaluate(engine, vc, vc.spec.node(node_id), group, now, policy, winners)
        if hook:
            hook("evaluated")
        with engine.begin() as conn:
            moves, steps = chain(conn, vcs, moves, now, winners)
            apply_moves(conn, moves, owner=owner, now=now, lease_until=now + lease_s, steps=steps)
        if hook:
            hook("moved")
        more = sorted({m.member.id for m in moves if m.next_node is not None and m.due_ts <= now})
        with engine.connect() as conn:
            batch = still_mine(conn, more, owner=owner, now=now)
    with engine.begin() as conn:
        release(conn, claimed, owner=owner)
    return n

"""Advance due members in batches: evaluate their node, record it, move them on.

One batch (:func:`advance_batch`): claim up to ``limit`` due members of runnable versions
(:mod:`userops.journeys.members`), then hop by hop: group them by (version, node), evaluate
each group set-wise (a send enqueues through the dispatch engine, a branch is one query on
the traits, a split a hash), record the steps and move the members in one transaction.
Members whose next node is due at once (anything but a wait) go on in the same batch; the
rest keep their timer (``due_ts``) and lose the lease.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import replace

from sqlalchemy import Connection, Engine, select

from userops.cdp.segments.spec import SegmentSpec
from userops.cdp.segments.sql import restrict_to_ids, spec_condition, traits
from userops.dispatch.policy import Policy
from userops.dispatch.sql import fetch, in_list, list_param
from userops.journeys.events import max_event_id
from userops.journeys.members import Member, Move, apply_moves, claim, release, still_mine
from userops.journeys.nodes import (
    BranchNode,
    ExitNode,
    Node,
    SendNode,
    SplitNode,
    WaitForEventNode,
    WaitNode,
)
from userops.journeys.send import VersionCtx, send_moves, unit
from userops.journeys.timing import wake_until

MAX_HOPS = 64
"""Nodes one member may pass in one batch (a cycle always has a wait, so this is plenty)."""


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


def _split(
    vc: VersionCtx, node: SplitNode, batch: list[Member], won: str | None = None
) -> list[Move]:
    total = sum(a.weight for a in node.arms)
    best = next((a for a in node.arms if a.name == won), None) if node.auto_winner else None
    out = []
    for m in batch:
        u = unit(vc.journey_id, node.id, m.user_id, "split")
        if u < node.holdout:
            out.append(Move(m, "holdout", None, exit_reason="holdout"))
            continue
        x = (u - node.holdout) / (1 - node.holdout) * total
        if best is not None:  # the significance rule named it and the approval allows it
            out.append(Move(m, "arm", best.next, reason=best.name))
            continue
        arm = node.arms[-1]
        for a in node.arms:
            if x < a.weight:
                arm = a
                break
            x -= a.weight
        out.append(Move(m, "arm", arm.next, reason=arm.name))
    return out


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
    if isinstance(node, WaitNode):
        return [Move(m, "waited", node.next) for m in batch]
    if isinstance(node, WaitForEventNode):
        return _wait_for_event(node, batch, now)
    if isinstance(node, BranchNode):
        with engine.connect() as conn:
            return _branch(conn, node, batch, now)
    if isinstance(node, SplitNode):
        return _split(vc, node, batch, (winners or {}).get((vc.version_id, node.id)))
    return [Move(m, "exit", None, exit_reason=node.reason) for m in batch]


def due_at(node: Node, now: int, tz: str) -> int:
    """When a member arriving at ``node`` at ``now`` is due there (its timer)."""
    if isinstance(node, WaitNode):
        if node.duration is not None:
            return now + node.duration.seconds()
        if node.until is not None:
            return wake_until(now, tz, node.until)
    if isinstance(node, WaitForEventNode):
        return now + node.timeout.seconds()
    return now


def zones(conn: Connection, ids: list[int]) -> dict[int, str]:
    """The time zone of each user record in ``ids``."""
    if not ids:
        return {}
    stmt = "SELECT id, timezone FROM users WHERE " + in_list(conn, "id")
    return {int(i): str(tz or "") for i, tz in fetch(conn, stmt, [list_param(conn, ids)])}


def arrive(conn: Connection, vcs: dict[int, VersionCtx], moves: list[Move], now: int) -> None:
    """Fill each move's arrival at its next node: visit, timer, the newest event id."""
    going = [m for m in moves if m.next_node is not None]
    if not going:
        return
    newest = max_event_id(conn)
    untils = [m for m in going if _node(vcs, m).kind == "wait"]
    tzs = zones(conn, sorted({m.member.user_id for m in untils}))
    for m in going:
        vc = vcs[m.member.version_id]
        node = vc.spec.node(str(m.next_node))
        m.node_event = newest
        m.due_ts = due_at(node, now, tzs.get(m.member.user_id, ""))
        if vc.loops:
            seen = m.member.attrs.setdefault("v", {})
            m.visit = int(seen.get(node.id, -1)) + 1
            seen[node.id] = m.visit


def _node(vcs: dict[int, VersionCtx], m: Move) -> Node:
    return vcs[m.member.version_id].spec.node(str(m.next_node))


def chain(
    conn: Connection,
    vcs: dict[int, VersionCtx],
    moves: list[Move],
    now: int,
    winners: Mapping[tuple[int, str], str] | None = None,
) -> tuple[list[Move], list[Move]]:
    """Arrive ``moves`` and take at once the due hops into exits and splits.

    Nothing but the member's row changes there. Returns ``(last move of each member, every
    step)``.

    The last move carries the member as claimed (``first``), so the one update of its row
    (:func:`userops.journeys.members.apply_moves`) applies the whole chain, with all its steps
    in the same transaction, or none of it.
    """
    arrive(conn, vcs, moves, now)
    steps, final, level = list(moves), [], moves
    for _ in range(MAX_HOPS):
        pure = [
            m
            for m in level
            if m.next_node is not None
            and m.due_ts <= now
            and isinstance(_node(vcs, m), ExitNode | SplitNode)
        ]
        taken = {id(m) for m in pure}
        final += [m for m in level if id(m) not in taken]
        if not pure:
            return final, steps
        groups: dict[tuple[int, str], list[tuple[Move, Member]]] = defaultdict(list)
        for m in pure:
            mem = replace(
                m.member, node_id=str(m.next_node), visit=m.visit, due_ts=m.due_ts,
                since_ts=now, node_event=m.node_event, woke_event=None,
                sends=m.member.sends + m.sent,
            )  # fmt: skip
            groups[(mem.version_id, mem.node_id)].append((m, mem))
        level = []
        for (vid, node_id), pairs in sorted(groups.items()):
            vc, node = vcs[vid], vcs[vid].spec.node(node_id)
            batch = [mem for _, mem in pairs]
            if isinstance(node, SplitNode):
                nxt = _split(vc, node, batch, (winners or {}).get((vid, node_id)))
            else:  # an exit (the only other node taken here)
                why = node.reason if isinstance(node, ExitNode) else None
                nxt = [Move(mem, "exit", None, exit_reason=why) for mem in batch]
            for (m, _), n in zip(pairs, nxt, strict=True):
                n.first = m.first or m.member
            level += nxt
        arrive(conn, vcs, level, now)
        steps += level
    return final + level, steps


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
        batch = claim(
            conn, owner=owner, now=now, lease_s=lease_s, limit=limit, versions=sorted(vcs)
        )
    claimed = [m.id for m in batch]
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
        again = {m.member.id for m in moves if m.next_node is not None and m.due_ts <= now}
        with engine.connect() as conn:
            batch = still_mine(conn, sorted(again), owner=owner, now=now)
    with engine.begin() as conn:
        release(conn, claimed, owner=owner)
    return len(claimed)

"""Hops without a side effect: arrivals, timers, the exits and splits due at once.

A member's arrival at its next node (visit, timer, newest event), and the exits and splits
it reaches due at once, taken in the transaction that moves the member.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace

from sqlalchemy import Connection

from userops.dispatch.sql import fetch, in_list, list_param
from userops.journeys.events import max_event_id
from userops.journeys.members import Member, Move
from userops.journeys.nodes import ExitNode, Node, SplitNode, WaitForEventNode, WaitNode
from userops.journeys.send import VersionCtx, unit
from userops.journeys.timing import wake_until

MAX_HOPS = 64
"""Nodes one member may pass in one batch (a cycle always has a wait, so this is plenty)."""


def split_moves(
    vc: VersionCtx, node: SplitNode, batch: list[Member], won: str | None = None
) -> list[Move]:
    """The moves of ``batch`` at split ``node`` (``won``: the arm named the winner)."""
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
                nxt = split_moves(vc, node, batch, (winners or {}).get((vid, node_id)))
            else:  # an exit (the only other node taken here)
                why = node.reason if isinstance(node, ExitNode) else None
                nxt = [Move(mem, "exit", None, exit_reason=why) for mem in batch]
            for (m, _), n in zip(pairs, nxt, strict=True):
                n.first = m.first or m.member
            level += nxt
        arrive(conn, vcs, level, now)
        steps += level
    return final + level, steps

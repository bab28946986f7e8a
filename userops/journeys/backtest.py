"""The forecast's walk: every backtest entry through the journey's nodes, vectorised.

Members are rows of numpy arrays; a *frontier* holds ``(member, node, arrival ts)``. Each
hop takes every node present in the frontier at once: a wait computes the leave time
(a duration, or the next local time of day in the user's zone), a wait-for-event finds the
user's first matching event after arrival (``searchsorted`` over ``user << 32 | ts`` keys),
a branch tests membership in the set of users each case matches, a split hashes the user as
the engine does. A member whose goal event falls before it leaves a wait exits there as a
conversion; one still waiting at the end of the window stays there. Sends are collected
for :mod:`userops.journeys.forecast_sends` (channels, limits, policy collisions, cost).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from userops.journeys.nodes import (
    WEEKDAYS,
    BranchNode,
    ExitNode,
    LocalTime,
    Node,
    SendNode,
    SplitNode,
    WaitForEventNode,
    WaitNode,
)
from userops.journeys.send import unit
from userops.journeys.spec import JourneySpec

I64 = NDArray[np.int64]
NEVER = np.int64(2**62)
MAX_HOPS = 200
"""Hops of the walk (a loop through a wait ends at the window's end long before)."""


def keys(users: I64, ts: I64) -> I64:
    """Sortable ``user << 32 | ts`` keys."""
    return (users.astype(np.int64) << 32) | ts.astype(np.int64)


def next_after(sorted_keys: I64, users: I64, ts: I64) -> I64:
    """Per row, the ts of the user's first keyed event strictly after ``ts`` (else NEVER)."""
    if sorted_keys.size == 0:
        return np.full(users.shape, NEVER, dtype=np.int64)
    idx = np.searchsorted(sorted_keys, keys(users, ts), side="right")
    ok = idx < sorted_keys.size
    got = sorted_keys[np.minimum(idx, sorted_keys.size - 1)]
    ok &= (got >> 32) == users
    return np.where(ok, got & 0xFFFFFFFF, NEVER)


@dataclass
class Tally:
    """Expected counts of one node."""

    kind: str
    entered: int = 0
    waiting: int = 0
    converted: int = 0
    exited: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)


@dataclass
class WalkResult:
    """Per-node tallies, edge counts and the sends ``(member, node index, ts)``."""

    nodes: dict[str, Tally]
    edges: Counter[tuple[str, str | None]]
    send_member: I64 = field(default_factory=lambda: _empty())
    send_node: I64 = field(default_factory=lambda: _empty())
    send_ts: I64 = field(default_factory=lambda: _empty())
    looped: int = 0
    """Members still moving after :data:`MAX_HOPS` hops (left where they were)."""


Offsets = Callable[[I64, I64], I64]
"""``(users, ts) -> seconds east of UTC`` of each user's zone at each instant."""


def until_ts(users: I64, ts: I64, until: LocalTime, offsets: Offsets) -> I64:
    """The first instant after ``ts`` at local time ``until`` (on its weekdays)."""
    hh, mm = (int(x) for x in until.time.split(":"))
    off = offsets(users, ts)
    local = ts + off
    day0 = local // 86400
    allowed = {WEEKDAYS.index(d) for d in until.weekdays} or set(range(7))
    out = np.full(ts.shape, NEVER, dtype=np.int64)
    for d in range(9):
        day = day0 + d
        cand = day * 86400 + hh * 3600 + mm * 60 - off
        weekday = (day + 3) % 7  # 1970-01-01 was a Thursday (3)
        ok = (cand > ts) & np.isin(weekday, list(allowed)) & (out == NEVER)
        out = np.where(ok, cand, out)
    return out


@dataclass
class Inputs:
    """What the walk needs besides the spec."""

    user: I64
    """Per member: the canonical user."""
    entry_ts: I64
    goal_ts: I64
    """Per member: the first goal event after entry (NEVER: none)."""
    waited_for: dict[str, I64]
    """Per wait-for-event node: sorted keys of matching events."""
    branch_users: dict[str, list[I64]]
    """Per branch node: per case, the sorted users it matches (traits as of now)."""
    offsets: Offsets
    now: int
    journey_id: str


def _move(node: Node, m: I64, t: I64, inp: Inputs, index: dict[str, int]) -> tuple[I64, I64, Any]:
    """``(next node index or -1: holdout, leave ts, event happened)`` of members at ``node``."""
    u = inp.user[m]
    nxt, leave = np.full(m.size, -1, dtype=np.int64), t.copy()
    ok = np.zeros(m.size, dtype=bool)
    if isinstance(node, SendNode):
        nxt[:] = index[node.next]
    elif isinstance(node, WaitNode):
        if node.duration is not None:
            leave = t + node.duration.seconds()
        elif node.until is not None:
            leave = until_ts(u, t, node.until, inp.offsets)
        nxt[:] = index[node.next]
    elif isinstance(node, WaitForEventNode):
        hit = next_after(inp.waited_for[node.id], u, t)
        ok = hit <= t + node.timeout.seconds()
        leave = np.where(ok, hit, t + node.timeout.seconds())
        nxt = np.where(ok, index[node.happened], index[node.timed_out]).astype(np.int64)
    elif isinstance(node, BranchNode):
        nxt[:] = index[node.otherwise]
        left = np.ones(m.size, dtype=bool)
        for case, users in zip(node.cases, inp.branch_users[node.id], strict=True):
            hit_ = left & np.isin(u, users)
            nxt[hit_] = index[case.next]
            left &= ~hit_
    elif isinstance(node, SplitNode):
        nxt = _split(node, u, index, inp.journey_id)
    return nxt, leave, ok


def walk(spec: JourneySpec, inp: Inputs) -> WalkResult:
    """Walk every member from the first node until exit, conversion or the window's end."""
    ids = [n.id for n in spec.nodes]
    index = {n: i for i, n in enumerate(ids)}
    res = WalkResult({n.id: Tally(n.kind) for n in spec.nodes}, Counter())
    sends: list[tuple[I64, I64, I64]] = []
    fm = np.arange(inp.user.size, dtype=np.int64)
    fn = np.zeros(fm.size, dtype=np.int64)
    ft = inp.entry_ts.copy()
    for _ in range(MAX_HOPS):
        if fm.size == 0:
            break
        nm, nn, nt = [], [], []
        for ni in np.unique(fn):
            sel = fn == ni
            m, t = fm[sel], ft[sel]
            node = spec.nodes[int(ni)]
            tally = res.nodes[node.id]
            tally.entered += int(m.size)
            if isinstance(node, ExitNode):
                tally.exited[node.reason] += int(m.size)
                continue
            if isinstance(node, SendNode):
                sends.append((m, np.full(m.size, ni, dtype=np.int64), t))
            nxt, leave, ok = _move(node, m, t, inp, index)
            held = nxt < 0
            if held.any():
                tally.exited["holdout"] += int(held.sum())
                res.edges[(node.id, None)] += int(held.sum())
            goal = (leave > t) & (inp.goal_ts[m] <= np.minimum(leave, inp.now))
            if goal.any():
                tally.converted += int(goal.sum())
                tally.exited["goal"] += int(goal.sum())
            pending = ~goal & (leave > inp.now)
            tally.waiting += int(pending.sum())
            go = ~held & ~goal & ~pending
            if isinstance(node, WaitForEventNode):
                tally.outcomes["happened"] += int((go & ok).sum())
                tally.outcomes["timed_out"] += int((go & ~ok).sum())
            for to in np.unique(nxt[go]):
                res.edges[(node.id, ids[int(to)])] += int((nxt[go] == to).sum())
            nm.append(m[go])
            nn.append(nxt[go])
            nt.append(leave[go])
        fm, fn, ft = (np.concatenate(x) if x else _empty() for x in (nm, nn, nt))
    res.looped = int(fm.size)
    if sends:
        res.send_member, res.send_node, res.send_ts = (
            np.concatenate([s[i] for s in sends]) for i in range(3)
        )
    return res


def _empty() -> I64:
    return np.zeros(0, dtype=np.int64)


def _split(node: SplitNode, users: I64, index: dict[str, int], jid: str) -> I64:
    """Per user: the arm's next node index, -1 for the holdout (the engine's hash)."""
    total = sum(a.weight for a in node.arms)
    out = np.empty(users.size, dtype=np.int64)
    cache: dict[int, int] = {}
    for i, uid in enumerate(users.tolist()):
        got = cache.get(uid)
        if got is None:
            x = unit(jid, node.id, uid, "split")
            got = -1
            if x >= node.holdout:
                y = (x - node.holdout) / (1 - node.holdout) * total
                arm = node.arms[-1]
                for a in node.arms:
                    if y < a.weight:
                        arm = a
                        break
                    y -= a.weight
                got = index[arm.next]
            cache[uid] = got
        out[i] = got
    return out

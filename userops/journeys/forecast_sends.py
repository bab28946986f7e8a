"""The forecast's messages: channel, journey limits, the policy's collisions and the cost.

Per send of the walk (:mod:`userops.journeys.backtest`): the channel as the engine picks it
from the ``reachable_channels`` and ``preferred_channel`` traits, or the dispatch context
for users without traits (none: suppressed ``unreachable``); the journey's limits (per
entry, per user over a window: suppressed ``journey_limit``); then what the dispatch
policy would do, counted as collisions: local quiet hours and the node's send window
(deferred), and the frequency caps counted over the journey's own messages *and* every
marketing message the store already queued or sent to the user (campaigns, other
journeys). The cost of a message is the channel's cost in the policy (SMS per segment of
the node's longest variant), as on a campaign card.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection

from userops.dispatch.content_rules import sms_segments
from userops.dispatch.context import load_users
from userops.dispatch.policy import Policy
from userops.dispatch.sql import fetch, in_list, list_param
from userops.journeys.backtest import I64, Offsets, WalkResult, keys
from userops.journeys.nodes import SendNode
from userops.journeys.send import pick_channel
from userops.journeys.spec import JourneySpec

WEEK = 7 * 86400


@dataclass
class SendTally:
    """What the forecast's messages come to."""

    messages: int = 0
    recipients: int = 0
    cost: float = 0.0
    cost_by_channel: dict[str, float] = field(default_factory=dict)
    by_node: Counter[str] = field(default_factory=Counter)
    suppressed: dict[str, Counter[str]] = field(default_factory=dict)
    deferred: dict[str, Counter[str]] = field(default_factory=dict)
    collisions: Counter[str] = field(default_factory=Counter)
    max_user_7d: int = 0


def _hhmm(s: str) -> int:
    hh, mm = s.split(":")
    return int(hh) * 3600 + int(mm) * 60


def inside(sod: I64, start: int, end: int) -> Any:
    """Whether each local second of day lies in ``[start, end)`` (wrapping midnight)."""
    if start <= end:
        return (sod >= start) & (sod < end)
    return (sod >= start) | (sod < end)


def rolling(pool: I64, probe: I64, window: int) -> I64:
    """Per probe key: pooled keys in ``(probe - window, probe]`` (same user)."""
    return np.asarray(
        np.searchsorted(pool, probe, side="right")
        - np.searchsorted(pool, probe - window, side="right"),
        dtype=np.int64,
    )


def _channels(conn: Connection, spec: JourneySpec, users: I64, nodes: I64) -> list[str | None]:
    """Per send, the channel the engine would pick; None: unreachable.

    A user with a trait row: the node's channels in order (``preferred_channel`` first) that
    are in ``reachable_channels`` (an address and a granted consent); a user without one
    (traits not built yet): :func:`pick_channel` on the dispatch context, as the engine.
    """
    ids = sorted(set(users.tolist()))
    stmt = "SELECT user_id, reachable_channels, preferred_channel FROM traits WHERE "
    rows = fetch(conn, stmt + in_list(conn, "user_id"), [list_param(conn, ids)]) if ids else []
    reach = {int(u): (frozenset(str(r or "").split(",")), p) for u, r, p in rows}
    missing = [u for u in ids if u not in reach]
    _, ctx = load_users(conn, missing) if missing else (None, {})
    out: list[str | None] = []
    cache: dict[tuple[int, Any], str | None] = {}
    same = {i: (tuple(n.channels), n.use_preferred_channel) if isinstance(n, SendNode) else None
            for i, n in enumerate(spec.nodes)}  # fmt: skip
    for uid, ni in zip(users.tolist(), nodes.tolist(), strict=True):
        key = (uid, same[ni])  # nodes with the same channels choose alike
        if key not in cache:
            node, got = spec.nodes[ni], None
            if isinstance(node, SendNode) and uid in reach:
                can, pref = reach[uid]
                order = list(node.channels)
                if node.use_preferred_channel and pref in order:
                    order.insert(0, order.pop(order.index(str(pref))))
                got = next((c for c in order if c in can), None)
            elif isinstance(node, SendNode) and uid in ctx:
                got = pick_channel(node, ctx[uid], None)
            cache[key] = got
        out.append(cache[key])
    return out


def unit_costs(spec: JourneySpec, policy: Policy) -> dict[tuple[str, str], float]:
    """``(node, channel) -> cost of one message`` (the node's dearest variant there)."""
    out: dict[tuple[str, str], float] = {}
    for n in spec.nodes:
        if isinstance(n, SendNode):
            for v in n.variants:
                c = policy.cost(v.channel, sms_segments(v.body) if v.channel == "sms" else 1)
                out[(n.id, v.channel)] = max(out.get((n.id, v.channel), 0.0), c)
    return out


def tally_sends(
    conn: Connection,
    spec: JourneySpec,
    walk: WalkResult,
    user: I64,
    *,
    policy: Policy,
    offsets: Offsets,
    history: tuple[I64, list[str]],
) -> SendTally:
    """Channels, limits, collisions and cost of the walk's sends.

    ``history``: keys (``user << 32 | ts``) and channels of the store's marketing messages.
    """
    out = SendTally()
    order = np.lexsort((walk.send_ts, walk.send_member))
    m, ni, ts = walk.send_member[order], walk.send_node[order], walk.send_ts[order]
    u = user[m]
    names = [spec.nodes[i].id for i in ni.tolist()]
    for n in spec.nodes:
        if isinstance(n, SendNode):
            out.suppressed[n.id], out.deferred[n.id] = Counter(), Counter()
    chans = _channels(conn, spec, u, ni)
    ok = np.array([c is not None for c in chans], dtype=bool)
    for i in np.flatnonzero(~ok).tolist():
        out.suppressed[names[i]]["unreachable"] += 1
    limits = spec.limits
    if limits.per_entry is not None and m.size:
        first = np.searchsorted(m, m, side="left")
        rank = np.arange(m.size) - first
        over = ok & (rank >= limits.per_entry)
        _count(out.suppressed, names, over, "journey_limit")
        ok &= ~over
    if limits.per_user is not None and m.size:
        k = keys(u, ts)
        pool = np.sort(k[ok])
        over = ok & (rolling(pool, k, limits.per_user.days * 86400) > limits.per_user.count)
        _count(out.suppressed, names, over, "journey_limit")
        ok &= ~over
    sod = (ts + offsets(u, ts)) % 86400
    marketing = np.array(
        [getattr(spec.nodes[i], "marketing", True) for i in ni.tolist()], dtype=bool
    )
    if policy.quiet_hours is not None:
        q = policy.quiet_hours
        quiet = ok & marketing & inside(sod, _sec(q.start), _sec(q.end))
        _count(out.deferred, names, quiet, "quiet_hours")
        out.collisions["quiet_hours"] = int(quiet.sum())
    windows = [getattr(spec.nodes[i], "send_window", None) for i in ni.tolist()]
    if any(w is not None for w in windows):
        outside = np.array(
            [w is not None and not inside(np.array([s]), _hhmm(w.start), _hhmm(w.end))[0]
             for w, s in zip(windows, sod.tolist(), strict=True)], dtype=bool,
        ) & ok  # fmt: skip
        _count(out.deferred, names, outside, "send_window")
        out.collisions["send_window"] = int(outside.sum())
    capped = _caps(policy, u, ts, chans, ok & marketing, history)
    _count(out.deferred, names, capped, "frequency_cap")
    out.collisions["frequency_cap"] = int(capped.sum())
    costs = unit_costs(spec, policy)
    for i in np.flatnonzero(ok).tolist():
        ch = str(chans[i])
        c = costs.get((names[i], ch), policy.cost(ch))
        out.cost += c
        out.cost_by_channel[ch] = out.cost_by_channel.get(ch, 0.0) + c
        out.by_node[names[i]] += 1
    out.messages = int(ok.sum())
    out.recipients = int(np.unique(u[ok]).size)
    if out.messages:
        k = np.sort(keys(u[ok], ts[ok]))
        out.max_user_7d = int(rolling(k, k, WEEK).max())
    return out


def _sec(t: Any) -> int:
    return int(t.hour) * 3600 + int(t.minute) * 60


def _count(into: dict[str, Counter[str]], names: list[str], mask: Any, reason: str) -> None:
    for i in np.flatnonzero(mask).tolist():
        into[names[i]][reason] += 1


def _caps(
    policy: Policy,
    u: I64,
    ts: I64,
    chans: list[str | None],
    mask: Any,
    history: tuple[I64, list[str]],
) -> Any:
    """Which sends would exceed a frequency cap, counting the store's own messages too."""
    hit = np.zeros(u.size, dtype=bool)
    if not mask.any():
        return hit
    caps = policy.frequency_caps
    hk, hch = history
    ch_arr = np.array([c or "" for c in chans])
    hch_arr = np.array(hch or [""])[: hk.size] if hk.size else np.zeros(0, dtype=str)
    mine = keys(u, ts)
    rules: list[tuple[Any, str | None]] = [(r, None) for r in caps.global_]
    rules += [(r, ch) for ch, rs in caps.per_channel.items() for r in rs]
    for rule, chan in rules:
        sel = mask if chan is None else mask & (ch_arr == chan)
        if not sel.any():
            continue
        h = hk if chan is None else hk[hch_arr == chan]
        pool = np.sort(np.concatenate([mine[sel], h]))
        hit |= sel & (rolling(pool, mine, rule.window_s) > rule.max)
    return hit

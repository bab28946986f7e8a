"""Send nodes: choose channel and variant per member, record the choice, enqueue it.

Exactly once per (journey version, user, entry, node, visit): the choice (channel and
variant, or why nothing is sent) is written to ``journey_steps_done`` first — a retry after
a crash reads the same choice back — and the message is enqueued through the dispatch
engine (:func:`userops.dispatch.engine.enqueue`) under campaign ``j-<journey>-v<version>``
and step ``<node>#<entry>`` (``.<visit>`` for a loop's later visits), so its idempotency
key ``campaign|step|user|channel`` dedupes a repeated enqueue. The engine then applies the
policy as for any campaign: consent, do-not-contact, caps shared with every campaign and
journey, quiet hours and the send window (deferred, never dropped).

Per member: the channel is the user's ``preferred_channel`` trait when it is one of the
node's channels and the user is reachable there (an address and a granted consent), else
the first such channel, else the first with an address (the engine then suppresses it with
its reason), else none (``unreachable``). The variant goes by persona (``content_affinity``
when the node has content for it, else ``default``, else the first persona), channel and
language, with A/B arms by a stable hash.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from userops.dispatch.context import UserCtx, load_users
from userops.dispatch.engine import enqueue
from userops.dispatch.models import DispatchStep
from userops.dispatch.policy import Policy
from userops.dispatch.sql import fetch, in_list, list_param, many
from userops.errors import BadInput
from userops.journeys.members import Member, Move, record_steps
from userops.journeys.nodes import SendNode
from userops.journeys.spec import JourneySpec

Choice = tuple[str, str | None, str | None, str | None]
"""``(outcome, channel, variant, reason)``: ``send`` or ``suppressed``."""


@dataclass(frozen=True)
class VersionCtx:
    """A runnable journey version."""

    version_id: int
    journey_id: str
    version: int
    spec: JourneySpec
    loops: bool
    """The spec has a cycle (through a wait): visits are counted."""

    @property
    def campaign_id(self) -> str:
        """The dispatch campaign of the version's messages."""
        return campaign_id(self.journey_id, self.version)


def campaign_id(journey_id: str, version: int) -> str:
    """``j-<journey>-v<version>``."""
    return f"j-{journey_id}-v{version}"


def step_id(node_id: str, entry_no: int, visit: int) -> str:
    """The outbox step of a node for one entry (and visit)."""
    return f"{node_id}#{entry_no}" + (f".{visit}" if visit else "")


def unit(*parts: object) -> float:
    """A stable number in ``[0, 1)`` for ``parts``."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _plans(
    conn: Connection, vc: VersionCtx, node_id: str, members: Sequence[Member]
) -> dict[tuple[int, int, int], Choice]:
    stmt = (
        "SELECT user_id, entry_no, visit, outcome, channel, variant, reason FROM"
        " journey_steps_done WHERE version_id = ? AND node_id = ? AND " + in_list(conn, "user_id")
    )
    ids = sorted({m.user_id for m in members})
    rows = fetch(conn, stmt, [vc.version_id, node_id, list_param(conn, ids)])
    return {(int(r[0]), int(r[1]), int(r[2])): (r[3], r[4], r[5], r[6]) for r in rows}


def _sent_recently(conn: Connection, vc: VersionCtx, ids: list[int], since: int) -> dict[int, int]:
    stmt = (
        "SELECT user_id, count(*) FROM journey_steps_done WHERE journey_id = ? AND"
        " outcome = 'send' AND ts > ? AND " + in_list(conn, "user_id") + " GROUP BY user_id"
    )
    rows = fetch(conn, stmt, [vc.journey_id, since, list_param(conn, ids)])
    return {int(u): int(n) for u, n in rows}


def _traits(conn: Connection, ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
    stmt = "SELECT user_id, preferred_channel, content_affinity FROM traits WHERE "
    rows = fetch(conn, stmt + in_list(conn, "user_id"), [list_param(conn, ids)])
    return {int(r[0]): (r[1], r[2]) for r in rows}


def pick_channel(node: SendNode, u: UserCtx, preferred: str | None) -> str | None:
    """The channel of one user (see the module docstring); None: no address on any."""
    order = list(node.channels)
    if node.use_preferred_channel and preferred in order:
        order.remove(str(preferred))
        order.insert(0, str(preferred))
    with_address = [c for c in order if u.address(c) is not None]
    granted = [c for c in with_address if u.consent_status(c) == "granted"]
    found = granted or with_address
    return found[0] if found else None


_INDEX: dict[tuple[int, str], tuple[SendNode, dict[tuple[str, str], list[str]]]] = {}


def _variant_index(node: SendNode, channel: str) -> dict[tuple[str, str], list[str]]:
    """``(persona, language) -> variant ids`` of ``node`` on ``channel``, built once per node."""
    got = _INDEX.get((id(node), channel))
    if got is not None and got[0] is node:
        return got[1]
    index: dict[tuple[str, str], list[str]] = defaultdict(list)
    for v in node.variants:
        if v.channel == channel:
            index[(v.persona or "default", v.language)].append(v.variant_id)
    if len(_INDEX) > 4096:
        _INDEX.clear()
    _INDEX[(id(node), channel)] = (node, dict(index))
    return _INDEX[(id(node), channel)][1]


def pick_variant(
    vc: VersionCtx, node: SendNode, user_id: int, channel: str, persona: str | None, lang: str
) -> str:
    """The variant of one user on ``channel`` (persona, language, then an A/B arm by hash)."""
    index = _variant_index(node, channel)
    personas = list(dict.fromkeys(p for p, _ in index))
    who = persona if persona in personas else ("default" if "default" in personas else personas[0])
    choices = index.get((who, lang)) or next(ids for (p, _), ids in index.items() if p == who)
    slot = int(unit(vc.journey_id, node.id, user_id, "ab") * len(choices))
    return choices[min(slot, len(choices) - 1)]


def _choose(
    conn: Connection, vc: VersionCtx, node: SendNode, fresh: list[Member], now: int
) -> dict[int, Choice]:
    ids = sorted({m.user_id for m in fresh})
    limits = vc.spec.limits
    recent: dict[int, int] = {}
    if limits.per_user is not None:
        recent = _sent_recently(conn, vc, ids, now - limits.per_user.days * 86400)
    _, ctx = load_users(conn, ids)
    traits = _traits(conn, ids)
    out: dict[int, Choice] = {}
    for m in fresh:
        u = ctx.get(m.user_id)
        if limits.per_entry is not None and m.sends >= limits.per_entry:
            out[m.id] = ("suppressed", None, None, "journey_limit")
        elif limits.per_user is not None and recent.get(m.user_id, 0) >= limits.per_user.count:
            out[m.id] = ("suppressed", None, None, "journey_limit")
        elif u is None:
            out[m.id] = ("suppressed", None, None, "unknown_user")
        else:
            preferred, persona = traits.get(m.user_id, (None, None))
            channel = pick_channel(node, u, preferred)
            if channel is None:
                out[m.id] = ("suppressed", None, None, "unreachable")
                continue
            variant = pick_variant(vc, node, m.user_id, channel, persona, u.language)
            out[m.id] = ("send", channel, variant, None)
    return out


def send_moves(
    engine: Engine, vc: VersionCtx, node: SendNode, batch: list[Member], now: int, policy: Policy
) -> list[Move]:
    """Choose, record and enqueue the node's messages for ``batch``; return their moves."""
    with engine.begin() as conn:
        plans = _plans(conn, vc, node.id, batch)
        fresh = [m for m in batch if (m.user_id, m.entry_no, m.visit) not in plans]
        if fresh:
            chosen = _choose(conn, vc, node, fresh, now)
            record_steps(conn, [_move(m, node, chosen[m.id]) for m in fresh], now)
            plans = _plans(conn, vc, node.id, batch)  # a concurrent writer's choice wins
    groups: dict[tuple[int, int], list[Move]] = defaultdict(list)
    moves = [_move(m, node, plans[(m.user_id, m.entry_no, m.visit)]) for m in batch]
    for mv in moves:
        if mv.sent:
            groups[(mv.member.entry_no, mv.member.visit)].append(mv)
    for (entry_no, visit), group in sorted(groups.items()):
        sid = step_id(node.id, entry_no, visit)
        assignments = [(mv.member.user_id, str(mv.channel), str(mv.variant)) for mv in group]
        try:
            enqueue(engine, _step(vc, node, sid, assignments), policy=policy, now_ts=now)
        except BadInput as exc:  # e.g. a send window with no minute outside quiet hours
            _refused(engine, vc, node.id, group, str(exc)[:64])
    return moves


def _move(m: Member, node: SendNode, choice: Choice) -> Move:
    outcome, channel, variant, reason = choice
    sent = int(outcome == "send" and channel is not None and variant is not None)
    return Move(m, outcome, node.next, None, channel, variant, reason, sent=sent)


def _refused(engine: Engine, vc: VersionCtx, node_id: str, group: list[Move], why: str) -> None:
    """The engine refused the step: record the members' sends as suppressed (``refused``)."""
    stmt = (
        "UPDATE journey_steps_done SET outcome = 'suppressed', reason = ? WHERE version_id = ?"
        " AND node_id = ? AND user_id = ? AND entry_no = ? AND visit = ?"
    )
    rows = [(f"refused: {why}"[:64], vc.version_id, node_id, mv.member.user_id,
             mv.member.entry_no, mv.member.visit) for mv in group]  # fmt: skip
    with engine.begin() as conn:
        many(conn, stmt, rows)
    for mv in group:
        mv.outcome, mv.reason, mv.sent = "suppressed", rows[0][0], 0


def _step(
    vc: VersionCtx, node: SendNode, sid: str, assignments: list[tuple[int, str, str]]
) -> DispatchStep:
    meta: dict[str, Any] = {**node.values, "journey": vc.journey_id, "version": vc.version}
    return DispatchStep(
        campaign_id=vc.campaign_id,
        step_id=sid,
        marketing=node.marketing,
        contents={v.variant_id: v for v in node.variants},
        assignments=assignments,
        send_window=node.send_window,
        metadata=meta,
    )

"""Per-node counts of a journey version, for ``userops journeys show``.

Per node: ``entered`` (members that reached it), ``waiting`` (there now), ``sent``,
``queued`` (pending or in flight), ``deferred``, ``failed``, ``suppressed`` by reason (the
engine's: consent, do-not-contact, frequency cap...; and the journey's: unreachable,
journey limit), ``exited`` by reason (``goal``, ``holdout``, ``stopped``, an exit node's
reason), ``converted`` (exited by the goal event there) and the ``outcomes`` of the node
(``happened`` / ``timed_out``, branch targets, arms); and the ``edges`` members took
(``from``, ``to``: None for the holdout, ``count``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Connection, text

from userops.journeys.nodes import SplitNode
from userops.journeys.send import campaign_id
from userops.journeys.spec import JourneySpec

NOT_A_STEP = ("goal", "stopped")
"""Exit reasons of members taken out while at a node (the node did not record a step)."""


def _empty(kind: str) -> dict[str, Any]:
    return {
        "kind": kind, "entered": 0, "waiting": 0, "sent": 0, "queued": 0, "deferred": 0,
        "failed": 0, "suppressed": Counter(), "exited": Counter(), "converted": 0,
        "outcomes": Counter(),
    }  # fmt: skip


def version_counts(
    conn: Connection, spec: JourneySpec, version_id: int, jid: str, version: int
) -> dict[str, Any]:
    """``{"nodes": {node id: counts}, "totals": {...}}`` of one version."""
    nodes = {n.id: _empty(n.kind) for n in spec.nodes}
    arms = {n.id for n in spec.nodes if isinstance(n, SplitNode)}
    done = conn.execute(
        text(
            "SELECT node_id, outcome, reason, next_node, count(*) FROM journey_steps_done"
            " WHERE version_id = :v GROUP BY node_id, outcome, reason, next_node"
        ),
        {"v": version_id},
    ).all()
    edges: Counter[tuple[str, str | None]] = Counter()
    for node_id, outcome, reason, nxt, n in done:
        c = nodes.setdefault(node_id, _empty("?"))
        c["entered"] += n
        if nxt is not None or outcome == "holdout":
            edges[(str(node_id), nxt)] += n
        if outcome == "suppressed":
            c["suppressed"][reason or "policy"] += n
        elif outcome == "arm" or node_id in arms:
            c["outcomes"][f"arm:{reason}" if reason else outcome] += n
        elif outcome == "branch":
            c["outcomes"][f"to:{nxt}"] += n
        elif outcome != "send":
            c["outcomes"][outcome] += n
    totals: dict[str, Any] = {"entered": 0, "active": 0, "exited": Counter(), "converted": 0}
    rows = conn.execute(
        text(
            "SELECT node_id, state, exit_reason, count(*) FROM journey_members"
            " WHERE version_id = :v GROUP BY node_id, state, exit_reason"
        ),
        {"v": version_id},
    ).all()
    for node_id, state, reason, n in rows:
        c = nodes.setdefault(node_id, _empty("?"))
        totals["entered"] += n
        if state == "active":
            c["waiting"] += n
            c["entered"] += n
            totals["active"] += n
            continue
        c["exited"][reason] += n
        totals["exited"][reason] += n
        if reason in NOT_A_STEP:
            c["entered"] += n
        if reason == "goal":
            c["converted"] += n
            totals["converted"] += n
    _outbox(conn, campaign_id(jid, version), nodes)
    return {
        "nodes": _plain(nodes),
        "totals": _plain({"t": totals})["t"],
        "edges": [{"from": a, "to": b, "count": n} for (a, b), n in edges.items()],
    }


def _outbox(conn: Connection, camp: str, nodes: dict[str, dict[str, Any]]) -> None:
    rows = conn.execute(
        text(
            "SELECT step_id, state, reason, count(*) FROM outbox WHERE campaign_id = :c"
            " GROUP BY step_id, state, reason"
        ),
        {"c": camp},
    ).all()
    for step, state, reason, n in rows:
        c = nodes.setdefault(str(step).split("#", 1)[0], _empty("?"))
        if state == "sent":
            c["sent"] += n
        elif state in ("pending", "sending"):
            c["queued"] += n
        elif state == "deferred":
            c["deferred"] += n
        elif state == "suppressed":
            c["suppressed"][reason or "policy"] += n
        else:
            c["failed"] += n


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (dict(v) if isinstance(v, Counter) else _plain(v) if isinstance(v, dict) else v)
        for k, v in d.items()
    }

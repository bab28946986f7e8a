"""A journey as a graph: nodes and edges with counts, as JSON (web) or Mermaid / text (CLI).

The approver sees the journey this way on a version's card, with the forecast's expected
counts (:mod:`userops.journeys.forecast`) or, once live, the counted members
(:mod:`userops.journeys.counts`). An edge is keyed by ``(from, to)``; a split's holdout
leads out of the journey (``to`` is ``None``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from userops.journeys.nodes import (
    BranchNode,
    Duration,
    Node,
    SendNode,
    SplitNode,
    WaitForEventNode,
    WaitNode,
)
from userops.journeys.spec import JourneySpec

Edge = tuple[str, str | None, str]
"""``(from node, to node or None: out of the journey, label)``."""


def _dur(d: Duration) -> str:
    parts = [f"{v}{u}" for v, u in ((d.days, "d"), (d.hours, "h"), (d.minutes, "m")) if v]
    return "".join(parts) or "0m"


def node_label(node: Node) -> str:
    """A short description of ``node``."""
    if isinstance(node, SendNode):
        return f"send {'/'.join(node.channels)}"
    if isinstance(node, WaitNode):
        if node.duration is not None:
            return f"wait {_dur(node.duration)}"
        if node.until is not None:
            days = f" {','.join(node.until.weekdays)}" if node.until.weekdays else ""
            return f"wait until {node.until.time} local{days}"
        return "wait"
    if isinstance(node, WaitForEventNode):
        return f"wait for {node.event.event} up to {_dur(node.timeout)}"
    if isinstance(node, BranchNode):
        return f"branch ({len(node.cases)} cases)"
    if isinstance(node, SplitNode):
        arms = "/".join(a.name for a in node.arms)
        held = f" + {node.holdout:.0%} holdout" if node.holdout else ""
        return f"split {arms}{held}" + (" (auto winner)" if node.auto_winner else "")
    return f"exit ({node.reason})"


def edges(spec: JourneySpec) -> list[Edge]:
    """Every edge of the journey, in node order."""
    out: list[Edge] = []
    for n in spec.nodes:
        if isinstance(n, SendNode | WaitNode):
            out.append((n.id, n.next, ""))
        elif isinstance(n, WaitForEventNode):
            out += [(n.id, n.happened, "happened"), (n.id, n.timed_out, "timed out")]
        elif isinstance(n, BranchNode):
            for i, case in enumerate(n.cases, 1):
                what = f"{case.trait.field} {case.trait.op}" if case.trait else "segment"
                out.append((n.id, case.next, f"case {i}: {what}"))
            out.append((n.id, n.otherwise, "otherwise"))
        elif isinstance(n, SplitNode):
            out += [(n.id, a.next, f"arm {a.name}") for a in n.arms]
            if n.holdout:
                out.append((n.id, None, "holdout"))
    return out


def journey_graph(
    spec: JourneySpec,
    node_counts: Mapping[str, int] | None = None,
    edge_counts: Mapping[tuple[str, str | None], int] | None = None,
    converted: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The graph as JSON: ``nodes`` (id, kind, label, count, converted) and ``edges``.

    ``converted``: members that left at the node on the goal event; an edge is
    ``{from, to, label, count}``.
    """
    nc, ec, cv = node_counts or {}, edge_counts or {}, converted or {}
    seen: set[tuple[str, str | None]] = set()
    out_edges = []
    for a, b, label in edges(spec):
        first = (a, b) not in seen  # two cases to one node share the count
        seen.add((a, b))
        count = ec.get((a, b), 0) if first else None
        out_edges.append({"from": a, "to": b, "label": label, "count": count})
    return {
        "start": spec.nodes[0].id,
        "nodes": [
            {
                "id": n.id,
                "kind": n.kind,
                "label": node_label(n),
                "count": nc.get(n.id, 0),
                "converted": cv.get(n.id, 0),
            }
            for n in spec.nodes
        ],
        "edges": out_edges,
    }


def _quote(s: str) -> str:
    return s.replace('"', "'")


def mermaid(graph: dict[str, Any]) -> str:
    """The graph as a Mermaid flowchart (counts beside labels)."""
    lines = ["flowchart TD"]
    for n in graph["nodes"]:
        lines.append(f'  {n["id"]}["{n["id"]}: {_quote(n["label"])} · {n["count"]}"]')
    if any(e["to"] is None for e in graph["edges"]):
        lines.append('  OUT(["out of the journey"])')
    goal = [n for n in graph["nodes"] if n.get("converted")]
    if goal:
        lines.append('  GOAL(["goal reached"])')
    lines += [f'  {n["id"]} -.->|"goal · {n["converted"]}"| GOAL' for n in goal]
    for e in graph["edges"]:
        text = " · ".join(str(x) for x in (e["label"], e["count"]) if x not in ("", None))
        arrow = f' -->|"{_quote(text)}"| ' if text else " --> "
        lines.append(f"  {e['from']}{arrow}{e['to'] or 'OUT'}")
    return "\n".join(lines)


def text_graph(graph: dict[str, Any]) -> list[str]:
    """The graph as indented lines: each node, then its edges."""
    out: dict[str, list[dict[str, Any]]] = {}
    for e in graph["edges"]:
        out.setdefault(e["from"], []).append(e)
    lines = []
    for n in graph["nodes"]:
        lines.append(f"[{n['id']}] {n['label']}  ({n['count']})")
        for e in out.get(n["id"], []):
            count = "" if e["count"] is None else f" ({e['count']})"
            label = f" {e['label']}" if e["label"] else ""
            lines.append(f"    ->{label} {e['to'] or '(out)'}{count}")
        if n.get("converted"):
            lines.append(f"    -> goal reached ({n['converted']})")
    return lines

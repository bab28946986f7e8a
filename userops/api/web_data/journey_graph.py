"""A journey spec laid out for the card: nodes in layers from the first node, arrows as SVG.

Layers are the breadth-first distance from the journey's first node (a node reached again
by a loop keeps its first layer). Counts, when given (members counted on a live version, or
a forecast's expected members), are shown on each node.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from userops.journeys.check import edges
from userops.journeys.spec import JourneySpec

BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 168, 54, 28, 44, 12


def _label(node: Any) -> str:
    kind = node.kind
    if kind == "send":
        return "/".join(node.channels)
    if kind == "wait":
        d = node.duration
        if d is not None:
            return " ".join(
                f"{v}{u}" for v, u in ((d.days, "d"), (d.hours, "h"), (d.minutes, "m")) if v
            )
        return f"→ {node.until.time}" if node.until else ""
    if kind == "wait_for_event":
        return str(node.event.event)
    if kind == "branch":
        return f"{len(node.cases)}+1"
    if kind == "split":
        arms = "/".join(a.name for a in node.arms)
        return arms + (f" +{node.holdout:.0%}" if node.holdout else "")
    return str(getattr(node, "reason", ""))


def layout(spec: JourneySpec) -> dict[str, Any]:
    """Positions of the nodes and the edges between them."""
    nodes = {n.id: n for n in spec.nodes}
    out_edges = [(n.id, label, to) for n in spec.nodes for label, to in edges(n)]
    layer = {spec.nodes[0].id: 0}
    queue = [spec.nodes[0].id]
    while queue:
        cur = queue.pop(0)
        for a, _path, b in out_edges:
            if a == cur and b in nodes and b not in layer:
                layer[b] = layer[cur] + 1
                queue.append(b)
    deepest = max(layer.values(), default=0)
    for n in spec.nodes:  # unreachable nodes (the checker refuses them) go last
        layer.setdefault(n.id, deepest + 1)
    rows: dict[int, list[str]] = {}
    for n in spec.nodes:
        rows.setdefault(layer[n.id], []).append(n.id)
    pos = {
        nid: (PAD + col * (BOX_W + GAP_X), PAD + row * (BOX_H + GAP_Y))
        for row, ids in rows.items()
        for col, nid in enumerate(ids)
    }
    width = PAD * 2 + max(len(ids) for ids in rows.values()) * (BOX_W + GAP_X) - GAP_X
    height = PAD * 2 + len(rows) * (BOX_H + GAP_Y) - GAP_Y
    return {"nodes": nodes, "edges": out_edges, "pos": pos, "size": (width, height)}


def _edge_label(path: str, words: Mapping[str, str]) -> str:
    """``happened`` → the reader's word; ``cases[0].next`` → ``case 1`` (``arms``: ``arm``)."""
    if path in words:
        return words[path]
    head, _, rest = path.partition("[")
    index = rest.split("]", 1)[0]
    if index.isdigit():
        return f"{words.get(head, head)} {int(index) + 1}"
    return path


def svg(
    spec: JourneySpec,
    counts: Mapping[str, float] | None = None,
    *,
    kinds: Mapping[str, str],
    words: Mapping[str, str] | None = None,
) -> Markup:
    """The journey as SVG boxes and arrows, at its own size (narrower screens scale it down).

    ``kinds`` names each node kind for the reader, ``words`` the edges (``happened``,
    ``timed_out``, ``otherwise``, ``cases``, ``arms``).
    """
    g = layout(spec)
    pos, (w, h) = g["pos"], g["size"]
    parts = [
        f'<svg id="journey-graph" class="graph" viewBox="0 0 {w} {h}" width="{w}" '
        f'height="{h}" role="img" '
        f'aria-label="{escape(spec.name)}" xmlns="http://www.w3.org/2000/svg">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#5b6b7a"/></marker></defs>',
    ]
    for a, path, b in g["edges"]:
        if b not in pos:
            continue
        (x1, y1), (x2, y2) = pos[a], pos[b]
        sx, sy = x1 + BOX_W / 2, y1 + BOX_H
        ex, ey = x2 + BOX_W / 2, y2
        if y2 <= y1:  # a loop back: go round the right side
            sx, sy, ex, ey = x1 + BOX_W, y1 + BOX_H / 2, x2 + BOX_W, y2 + BOX_H / 2
        parts.append(
            f'<line class="edge" x1="{sx:.0f}" y1="{sy:.0f}" x2="{ex:.0f}" y2="{ey:.0f}" '
            'stroke="#5b6b7a" marker-end="url(#arrow)"/>'
        )
        if path != "next":
            parts.append(
                f'<text class="edge-label" x="{(sx + ex) / 2 + 4:.0f}" y="{(sy + ey) / 2:.0f}">'
                f"{escape(_edge_label(path, words or {}))}</text>"
            )
    for nid, node in g["nodes"].items():
        x, y = pos[nid]
        count = (counts or {}).get(nid)
        extra = f" · {count:,.0f}" if count is not None else ""
        parts.append(
            f'<g class="node node-{escape(node.kind)}"><rect x="{x}" y="{y}" width="{BOX_W}" '
            f'height="{BOX_H}" rx="8"/>'
            f'<text class="node-kind" x="{x + 10}" y="{y + 20}">'
            f"{escape(kinds.get(node.kind, node.kind))} · {escape(nid)}</text>"
            f'<text class="node-label" x="{x + 10}" y="{y + 40}">'
            f"{escape(_label(node)[:28])}{escape(extra)}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value escaped above

"""What a journey spec must mean: node ids, edges, cycles, channels, content, traits.

Pydantic checks the shape (:mod:`userops.journeys.spec`); this module checks that the spec
holds together. Every problem names its JSON path and says what is valid:

* node ids are unique; every ``next`` (``happened``, ``timed_out``, ``otherwise``, an arm's or
  a case's ``next``) names a node; every node is reachable from the first; a cycle has a
  ``wait`` or ``wait_for_event`` node in it (else a member would loop without end);
* a send node's channels are known and each has content; its variants pass the channel's
  content rules (as the dispatch engine applies them) and name a known persona;
* trait conditions and segments are valid against the trait catalog (as segments are);
* event property filters are well formed; the re-entry rule and the waits make sense.
"""

from __future__ import annotations

from typing import Any

from userops.cdp.segments.check import check_event, check_spec, check_trait
from userops.cdp.segments.spec import EventPredicate, SegmentSpec
from userops.cdp.traits.catalog import CONTENT_TYPES
from userops.dispatch.evaluate import content_problems
from userops.dispatch.render import placeholders
from userops.domain import CHANNELS
from userops.errors import Problem
from userops.journeys.events import resolve_event
from userops.journeys.nodes import (
    BranchNode,
    EventMatch,
    Node,
    SendNode,
    SplitNode,
    WaitForEventNode,
    WaitNode,
)
from userops.journeys.spec import JourneySpec, SegmentTrigger

PERSONAS = (*CONTENT_TYPES, "default")
"""Personas a variant may target (``content_affinity`` values, or ``default``)."""
VALUES = ("brand", "offer")


def edges(node: Node) -> list[tuple[str, str]]:
    """``(path below the node, target id)`` of every edge out of ``node``."""
    if isinstance(node, SendNode | WaitNode):
        return [("next", node.next)]
    if isinstance(node, WaitForEventNode):
        return [("happened", node.happened), ("timed_out", node.timed_out)]
    if isinstance(node, BranchNode):
        out = [(f"cases[{i}].next", c.next) for i, c in enumerate(node.cases)]
        return [*out, ("otherwise", node.otherwise)]
    if isinstance(node, SplitNode):
        return [(f"arms[{i}].next", a.next) for i, a in enumerate(node.arms)]
    return []


def _graph(spec: JourneySpec) -> list[Problem]:
    problems: list[Problem] = []
    where: dict[str, int] = {}
    for i, n in enumerate(spec.nodes):
        if n.id in where:
            reason = f"duplicate node id (also nodes[{where[n.id]}].id)"
            problems.append(Problem(reason, f"nodes[{i}].id", n.id))
        where.setdefault(n.id, i)
    ids = ", ".join(where)
    for i, n in enumerate(spec.nodes):
        for path, target in edges(n):
            if target not in where:
                reason = f"no such node; valid nodes: {ids}"
                problems.append(Problem(reason, f"nodes[{i}].{path}", target))
    if problems:
        return problems
    seen, todo = {spec.nodes[0].id}, [spec.nodes[0].id]
    while todo:
        for _, t in edges(spec.nodes[where[todo.pop()]]):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    for i, n in enumerate(spec.nodes):
        if n.id not in seen:
            reason = f"unreachable from the first node ({spec.nodes[0].id})"
            problems.append(Problem(reason, f"nodes[{i}].id", n.id))
    return problems + _cycles(spec, where)


def _cycles(spec: JourneySpec, where: dict[str, int]) -> list[Problem]:
    """A cycle through nodes that take no time (every node but the waits)."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    for start in where:
        stack: list[tuple[str, list[tuple[str, str]]]] = []
        if start in state:
            continue
        state[start] = 1
        stack.append((start, _instant_edges(spec.nodes[where[start]])))
        while stack:
            nid, out = stack[-1]
            if not out:
                state[nid] = 2
                stack.pop()
                continue
            path, t = out.pop()
            if state.get(t) == 1:
                loop = [s for s, _ in stack][[s for s, _ in stack].index(t) :] + [t]
                reason = (
                    f"a cycle without a wait ({' -> '.join(loop)}); "
                    "put a wait or wait_for_event node in it"
                )
                return [Problem(reason, f"nodes[{where[nid]}].{path}", t)]
            if t not in state:
                state[t] = 1
                stack.append((t, _instant_edges(spec.nodes[where[t]])))
    return []


def _instant_edges(node: Node) -> list[tuple[str, str]]:
    return [] if isinstance(node, WaitNode | WaitForEventNode) else edges(node)


def _event(m: EventMatch, path: str) -> list[Problem]:
    etype, _ = resolve_event(m.event)
    return check_event(EventPredicate(event=etype, where=m.where), path)


def _segment(spec: SegmentSpec, path: str) -> list[Problem]:
    problems = [
        Problem(p.reason, f"{path}.{p.field}" if p.field else path, p.value)
        for p in check_spec(spec)
    ]
    if spec.search is not None:
        problems.append(
            Problem("search is not supported in journeys", f"{path}.search", spec.search)
        )
    if spec.limit is not None:
        problems.append(Problem("limit is not supported in journeys", f"{path}.limit", spec.limit))
    return problems


def _send(n: SendNode, p: str) -> list[Problem]:
    problems: list[Problem] = []
    for j, ch in enumerate(n.channels):
        if ch not in CHANNELS:
            reason = f"unknown channel; valid channels: {', '.join(CHANNELS)}"
            problems.append(Problem(reason, f"{p}.channels[{j}]", ch))
        elif ch in n.channels[:j]:
            problems.append(Problem("channel listed twice", f"{p}.channels[{j}]", ch))
        elif not any(v.channel == ch for v in n.variants):
            problems.append(Problem("no variant for this channel", f"{p}.channels[{j}]", ch))
    seen: set[str] = set()
    for k, v in enumerate(n.variants):
        vp = f"{p}.variants[{k}]"
        if v.variant_id in seen:
            problems.append(Problem("duplicate variant_id", f"{vp}.variant_id", v.variant_id))
        seen.add(v.variant_id)
        if v.channel not in n.channels:
            reason = f"not one of the node's channels: {', '.join(n.channels)}"
            problems.append(Problem(reason, f"{vp}.channel", v.channel))
        if v.persona is not None and v.persona not in PERSONAS:
            reason = f"unknown persona; valid personas: {', '.join(PERSONAS)}"
            problems.append(Problem(reason, f"{vp}.persona", v.persona))
        problems += [Problem(msg, vp, v.variant_id) for msg in content_problems(v)]
        for ph in sorted(placeholders(v.model_dump()) & set(VALUES) - set(n.values)):
            reason = f"{{{ph}}} is used but values.{ph} is not set"
            problems.append(Problem(reason, f"{p}.values", sorted(n.values)))
    for key in n.values:
        if key not in VALUES:
            reason = f"unknown value; valid values: {', '.join(VALUES)}"
            problems.append(Problem(reason, f"{p}.values.{key}", key))
    return problems


def _node(n: Node, p: str) -> list[Problem]:
    if isinstance(n, SendNode):
        return _send(n, p)
    if isinstance(n, WaitNode):
        if (n.duration is None) == (n.until is None):
            return [Problem("give either duration or until", p, n.id)]
        if n.duration is not None and n.duration.seconds() <= 0:
            return [Problem("must be more than zero", f"{p}.duration", n.duration.model_dump())]
        return []
    if isinstance(n, WaitForEventNode):
        problems = _event(n.event, f"{p}.event")
        if n.timeout.seconds() <= 0:
            problems.append(
                Problem("must be more than zero", f"{p}.timeout", n.timeout.model_dump())
            )
        return problems
    if isinstance(n, BranchNode):
        problems = []
        for k, c in enumerate(n.cases):
            cp = f"{p}.cases[{k}]"
            if (c.trait is None) == (c.segment is None):
                problems.append(Problem("give either trait or segment", cp, None))
            elif c.trait is not None:
                problems += check_trait(c.trait, f"{cp}.trait")
            elif c.segment is not None:
                problems += _segment(c.segment, f"{cp}.segment")
        return problems
    if isinstance(n, SplitNode):
        names = [a.name for a in n.arms]
        return [
            Problem("duplicate arm name", f"{p}.arms[{k}].name", a)
            for k, a in enumerate(names)
            if a in names[:k]
        ]
    return []


def check_journey(spec: JourneySpec) -> list[Problem]:
    """Every problem of ``spec`` (empty when it is valid)."""
    problems = _graph(spec)
    for i, n in enumerate(spec.nodes):
        problems += _node(n, f"nodes[{i}]")
    trig = spec.trigger
    if isinstance(trig, SegmentTrigger):
        problems += _segment(trig.segment, "trigger.segment")
    elif trig.kind == "event":
        problems += _event(trig.match(), "trigger")
    if spec.goal is not None:
        problems += _event(spec.goal, "goal")
    r = spec.reentry
    if r.policy == "after" and r.days is None:
        problems.append(Problem("after needs days", "reentry.days", None))
    if r.policy == "never" and r.days is not None:
        problems.append(Problem("days is only for policy after", "reentry.days", r.days))
    return problems


def describe(spec: JourneySpec) -> dict[str, Any]:
    """A short summary of a spec (trigger kind, nodes by kind) for lists."""
    kinds: dict[str, int] = {}
    for n in spec.nodes:
        kinds[n.kind] = kinds.get(n.kind, 0) + 1
    return {"trigger": spec.trigger.kind, "nodes": kinds, "goal": spec.goal is not None}


def has_cycle(spec: JourneySpec) -> bool:
    """Whether the journey has a loop (through a wait): then visits of a node are counted."""
    where = {n.id: n for n in spec.nodes}
    state: dict[str, int] = {}

    def visit(nid: str) -> bool:
        state[nid] = 1
        for _, t in edges(where[nid]):
            if state.get(t) == 1 or (t not in state and t in where and visit(t)):
                return True
        state[nid] = 2
        return False

    return any(visit(n) for n in where if n not in state)

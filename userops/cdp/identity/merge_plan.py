"""Pure planning of identity merges: union-find with cannot-link constraints.

Records are nodes; two records sharing an identifier ``(kind, value)`` are joined. Edges are
taken in a fixed order (by the lower record id, then the higher), so the result does not
depend on how rows came out of the database. A cannot-link pair (a merge a person undid)
is never put in one group: an edge that would do so is skipped. The survivor of a group is
its lowest record id (the oldest record).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

KIND_ORDER = ("phone", "email", "wechat_unionid", "wechat_openid", "device_id")
"""Preference when naming the identifier that linked a record."""


@dataclass
class MergePlan:
    """The wanted grouping of the records that share identifiers."""

    root: dict[int, int] = field(default_factory=dict)
    """Record id -> survivor id (a survivor maps to itself)."""
    link: dict[int, tuple[str, str]] = field(default_factory=dict)
    """Merged record id -> the ``(kind, value)`` that ties it to its group."""


class ConstrainedUnionFind:
    """Union-find that refuses unions joining a cannot-link pair."""

    def __init__(self, cannot_link: Iterable[tuple[int, int]] = ()) -> None:
        self.parent: dict[int, int] = {}
        self.forbid: dict[int, set[int]] = {}
        self.cons: dict[int, set[int]] = {}
        for a, b in cannot_link:
            if a == b:
                continue
            self.forbid.setdefault(a, set()).add(b)
            self.forbid.setdefault(b, set()).add(a)
            self.cons.setdefault(a, set()).add(a)
            self.cons.setdefault(b, set()).add(b)

    def find(self, x: int) -> int:
        """Return the representative of ``x`` (path compression)."""
        parent = self.parent
        root = parent.setdefault(x, x)
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> bool:
        """Join the groups of ``a`` and ``b``; False when a constraint forbids it."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        fa, fb = self.forbid.get(ra), self.forbid.get(rb)
        ca, cb = self.cons.get(ra), self.cons.get(rb)
        if (fa and cb and not fa.isdisjoint(cb)) or (fb and ca and not fb.isdisjoint(ca)):
            return False
        self.parent[rb] = ra
        if fb:
            self.forbid.setdefault(ra, set()).update(self.forbid.pop(rb))
        if cb:
            self.cons.setdefault(ra, set()).update(self.cons.pop(rb))
        return True


def plan_merges(
    shared: Iterable[tuple[str, str, int]],
    cannot_link: Iterable[tuple[int, int]] = (),
) -> MergePlan:
    """Group records by shared identifiers.

    Args:
        shared: ``(kind, value, record id)`` rows; identifiers seen on one record only are
            ignored.
        cannot_link: pairs of records that must stay in different groups.

    Returns:
        The survivor of every record that shares an identifier, and for each merged record
        the identifier that links it.
    """
    groups: dict[tuple[str, str], set[int]] = defaultdict(set)
    for kind, value, uid in shared:
        groups[(kind, value)].add(uid)
    members = {kv: sorted(us) for kv, us in groups.items() if len(us) > 1}
    edges = sorted({(us[0], u) for us in members.values() for u in us[1:]})
    uf = ConstrainedUnionFind(cannot_link)
    for a, b in edges:
        uf.union(a, b)
    low: dict[int, int] = {}
    nodes = {u for us in members.values() for u in us}
    for n in nodes:
        r = uf.find(n)
        if n < low.get(r, n + 1):
            low[r] = n
    plan = MergePlan(root={n: low[uf.find(n)] for n in nodes})
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    for kv in sorted(members, key=lambda kv: (rank.get(kv[0], len(rank)), kv)):
        us = members[kv]
        per_root = Counter(plan.root[u] for u in us)
        for u in us:
            r = plan.root[u]
            if r != u and u not in plan.link and per_root[r] > 1:
                plan.link[u] = kv
    return plan

"""Hypothesis settings and JSON strategies shared by the fuzz tests.

CI-sized and reproducible: few examples, no deadline, derandomized (the same examples on
every run; a failure prints the falsifying example). ``USEROPS_FUZZ_EXAMPLES=2000`` runs a
deeper search locally.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=int(os.environ.get("USEROPS_FUZZ_EXAMPLES", "40")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
JSON: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
"""Any JSON-like value (NaN and infinities included: they reach us from YAML and Python)."""


def near(values: list[Any]) -> st.SearchStrategy[Any]:
    """Mostly one of ``values`` (7 in 8), sometimes anything."""
    return st.integers(0, 7).flatmap(lambda i: JSON if i == 0 else st.sampled_from(values))


def mutate(data: st.DataObject, node: Any, depth: int = 0) -> Any:
    """``node`` with one mutation somewhere: a key deleted, added or replaced by any JSON."""
    if isinstance(node, dict) and node:
        key = data.draw(st.sampled_from(sorted(node, key=str)))
        how = data.draw(st.sampled_from(["delete", "replace", "unknown", "descend"]))
        out = dict(node)
        if how == "delete":
            del out[key]
        elif how == "replace" or depth > 4:
            out[key] = data.draw(JSON)
        elif how == "unknown":
            out[data.draw(st.text(min_size=1, max_size=8))] = data.draw(JSON)
        else:
            out[key] = mutate(data, node[key], depth + 1)
        return out
    if isinstance(node, list) and node:
        i = data.draw(st.integers(0, len(node) - 1))
        return [*node[:i], mutate(data, node[i], depth + 1), *node[i + 1 :]]
    return data.draw(JSON)

"""Both planners take their shared bounds from agents.planning.common, not from each other."""

from __future__ import annotations

import ast
from pathlib import Path

AGENTS = Path(__file__).resolve().parents[2] / "agents"


def _imports(name: str) -> set[str]:
    tree = ast.parse((AGENTS / name).read_text(encoding="utf-8"))
    return {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}


def test_the_llm_planner_shares_helpers_not_the_offline_planner() -> None:
    for planner in ("planning/llm.py", "planning/offline.py"):
        assert "agents.planning.common" in _imports(planner), planner
    assert "agents.planning.offline" not in _imports("planning/llm.py")

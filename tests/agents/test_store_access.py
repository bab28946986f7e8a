"""Agents reach the store only through tools or platform functions: no SQL in agents/."""

from __future__ import annotations

import ast
from pathlib import Path

AGENTS = Path(__file__).resolve().parents[2] / "agents"
TYPES_ONLY = {"Engine"}
"""What agents may import from SQLAlchemy: the engine's type, to hand it to the platform."""


def _sql_sites(path: Path, root: Path = AGENTS.parent) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found += [f"{where} imports {a.name}" for a in node.names if a.name not in TYPES_ONLY]
        elif isinstance(node, ast.Import):
            found += [f"{where} imports {a.name}" for a in node.names if a.name == "sqlalchemy"]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("connect", "begin")
            and "engine" in ast.unparse(node.func.value)
        ):
            found.append(f"{where} calls {ast.unparse(node.func)}()")
    return found


def test_no_sql_in_agents() -> None:
    sites = [s for p in sorted(AGENTS.rglob("*.py")) for s in _sql_sites(p)]
    assert sites == [], "SQL belongs in userops/ (platform) or tools/:\n" + "\n".join(sites)


def test_the_scan_finds_sql(tmp_path: Path) -> None:
    bad = tmp_path / "node.py"
    bad.write_text(
        "from sqlalchemy import Engine, text\n\ndef f(deps):\n    deps.engine.begin()\n",
        encoding="utf-8",
    )
    assert _sql_sites(bad, tmp_path) == [
        "node.py:1 imports text",
        "node.py:4 calls deps.engine.begin()",
    ]

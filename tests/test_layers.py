"""The layers contract is enforced: ``lint-imports`` passes on the tree and fails on an upward
import added to a copy of it (issue 13: a deliberately added upward import breaks ``make lint``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("userops", "agents", "tools", "evals", "prompts", "tests", "bench", "scripts")
LINT = Path(sys.executable).with_name("lint-imports")


def _copy(dst: Path) -> Path:
    for name in PACKAGES:
        shutil.copytree(
            ROOT / name, dst / name, ignore=shutil.ignore_patterns("__pycache__", "*.npz", "data")
        )
    shutil.copy(ROOT / ".importlinter", dst / ".importlinter")
    return dst


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy(tmp_path_factory.mktemp("layers"))


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    r = _lint(tree)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "3 kept, 0 broken" in r.stdout


@pytest.mark.parametrize(
    ("module", "upward", "says"),
    [
        ("tools/segments.py", "import agents.schema", "tools is not allowed to import agents"),
        ("userops/dispatch/engine.py", "import tools.context", "is not allowed to import tools"),
        ("userops/store/engine.py", "import userops.cdp.traits", "is not allowed to import"),
        ("agents/graph.py", "import userops.cdp.sample", "userops.cdp.sample"),
    ],
)
def test_an_upward_import_breaks_the_lint(tree: Path, module: str, upward: str, says: str) -> None:
    path = tree / module
    original = path.read_text()
    try:
        path.write_text(original + f"\n{upward}  # deliberately upward\n")
        r = _lint(tree)
    finally:
        path.write_text(original)
    assert r.returncode != 0, r.stdout[-2000:]
    assert says in r.stdout, r.stdout[-3000:]

"""CI hook: the whole offline suite runs (2 jobs) with no hard-rule failure and no regression.

A scenario that passed in ``evals/baseline.json`` and fails now fails this test with the
diff printed. Scenarios that fail in the baseline may pass now (update the baseline with
``userops eval --write-baseline evals/baseline.json``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from evals.baseline import BASELINE, improvements, load_baseline, regressions
from evals.runner import must_pass_failures, run_suite

SUITE = Path(__file__).resolve().parents[2] / "evals" / "scenarios"


def test_offline_suite_against_baseline(tmp_path: Path, monkeypatch: object) -> None:
    t0 = time.perf_counter()
    report = run_suite(SUITE, tmp_path / "work", planner="offline", jobs=2)
    wall = time.perf_counter() - t0
    summary = report["summary"]
    print(json.dumps({**summary, "test_wall_s": round(wall, 1)}, indent=1))
    baseline = load_baseline(BASELINE)
    regress = regressions(report, baseline)
    better = improvements(report, baseline)
    if better:
        print("now passing (not in the baseline):", ", ".join(better))
    assert summary["scenarios"] >= 40
    assert not must_pass_failures(report), must_pass_failures(report)
    assert summary["policy_violations"] == 0 and summary["sends_before_approval"] == 0
    assert not regress, "regressions against evals/baseline.json:\n" + "\n".join(regress)

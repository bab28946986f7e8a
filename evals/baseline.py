"""Compare a report with the committed baseline: a scenario that passed and now fails regresses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BASELINE = Path(__file__).parent / "baseline.json"
"""The committed baseline of the offline suite."""


def baseline_of(report: dict[str, Any]) -> dict[str, Any]:
    """The part of a report worth committing: pass/fail and failed checks per scenario."""
    return {
        "planner": report["summary"].get("planner", "offline"),
        "scenarios": {
            s["id"]: {"passed": s["passed"], "failed": s["failed"]} for s in report["scenarios"]
        },
    }


def load_baseline(path: Path = BASELINE) -> dict[str, Any]:
    """Read a baseline file (empty when missing)."""
    if not path.exists():
        return {"scenarios": {}}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def regressions(report: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Lines describing each scenario that passed in ``baseline`` and fails (or vanished) now."""
    now = {s["id"]: s for s in report["scenarios"]}
    out = []
    for sid, base in sorted(baseline.get("scenarios", {}).items()):
        if not base.get("passed"):
            continue
        cur = now.get(sid)
        if cur is None:
            out.append(f"- {sid}: passed in the baseline, missing now")
        elif not cur["passed"]:
            out.append(f"- {sid}: passed in the baseline, fails now: " + "; ".join(cur["failed"]))
    return out


def improvements(report: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Scenario ids that failed (or were absent) in the baseline and pass now."""
    base = baseline.get("scenarios", {})
    return sorted(
        s["id"]
        for s in report["scenarios"]
        if s["passed"] and not base.get(s["id"], {}).get("passed")
    )

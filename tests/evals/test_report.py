"""Report aggregation, HTML with inline SVG (no scripts), baseline regressions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.baseline import baseline_of, improvements, regressions
from evals.report import render_html, write_report
from evals.runner import build_report, must_pass_failures


def _result(sid: str, passed: bool, lang: str = "en", must: bool = False) -> dict[str, Any]:
    checks = [
        {
            "name": "consent" if must else "budget",
            "passed": passed,
            "why": "x",
            "must_pass": must,
            "count": 0 if passed else 2,
            "detail": {},
        }
    ]
    return {
        "id": sid,
        "file": f"{sid}.yaml",
        "objective": "win_back",
        "language": lang,
        "tags": [],
        "passed": passed,
        "failed": [] if passed else ["budget: spent 9 of 5"],
        "checks": checks,
        "latency_s": 1.5,
        "sent": 3,
        "cost": 0.2,
        "statuses": ["completed"],
        "llm_calls": 0,
        "tokens": 0,
        "repeat": 0,
    }


def test_summary_breakdown_and_pass_k() -> None:
    rep = build_report(
        [_result("a", True), _result("b", False, "zh"), _result("a", False) | {"repeat": 1}],
        planner="offline",
    )
    s = rep["summary"]
    assert s["scenarios"] == 2 and s["passed"] == 0 and s["pass_k"] == 0.0
    assert rep["by"]["language"]["zh"] == {"scenarios": 1, "passed": 0, "pass_rate": 0.0}
    a = next(x for x in rep["scenarios"] if x["id"] == "a")
    assert a["passes"] == 1 and a["runs"] == 2


def test_must_pass_failures_and_violation_count() -> None:
    rep = build_report([_result("a", False, must=True), _result("b", True)])
    assert must_pass_failures(rep) == ["a: consent"]
    assert rep["summary"]["policy_violations"] == 2


def test_html_has_inline_svg_and_no_script(tmp_path: Path) -> None:
    rep = build_report([_result("a", True), _result("b<x>", False, "zh")])
    js, html = write_report(rep, tmp_path)
    page = html.read_text("utf-8")
    assert js.exists() and page.count("<svg") >= 3 and "<script" not in page
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "b&lt;x&gt;" in page and "b<x>" not in page
    assert "budget: spent 9 of 5" in render_html(rep)


def test_regression_against_baseline() -> None:
    before = build_report([_result("a", True), _result("b", False)])
    base = baseline_of(before)
    after = build_report([_result("a", False), _result("b", True)])
    lines = regressions(after, base)
    assert len(lines) == 1 and lines[0].startswith("- a: passed in the baseline, fails now")
    assert improvements(after, base) == ["b"]
    assert regressions(before, base) == []
    assert "missing now" in regressions(build_report([_result("b", True)]), base)[0]

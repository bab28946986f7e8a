"""Run a suite: seed each dataset once, run scenarios in parallel (own store each), summarize."""

from __future__ import annotations

import multiprocessing
import statistics
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from evals.datasets import build_dataset, dataset_key
from evals.execute import run_scenario
from evals.loader import load_suite
from evals.schema import Scenario

MUST_PASS = ("consent", "quiet_hours", "approval_before_send", "trajectory")
"""Checks that fail the run wherever they fail."""

Progress = Callable[[dict[str, Any]], None]


def _pool(jobs: int) -> Executor:
    if jobs <= 1:
        return ThreadPoolExecutor(max_workers=1)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))


def run_suite(
    suite: Path,
    workdir: Path,
    *,
    planner: str = "offline",
    repeat: int = 1,
    jobs: int = 2,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run every scenario of ``suite`` ``repeat`` times; return the report dict.

    Raises:
        BadInput: a scenario file is invalid (nothing is run).
    """
    loaded = load_suite(suite)
    t0 = time.perf_counter()
    workdir.mkdir(parents=True, exist_ok=True)
    datasets: dict[str, tuple[Scenario, Path]] = {}
    for path, sc in loaded:
        datasets.setdefault(dataset_key(sc.dataset, path.parent), (sc, path.parent))
    results: list[dict[str, Any]] = []
    with _pool(jobs) as pool:
        built = {
            key: pool.submit(build_dataset, sc.dataset, base, workdir / "datasets" / f"{key}.db")
            for key, (sc, base) in datasets.items()
        }
        dbs = {key: str(f.result()) for key, f in built.items()}
        seeded_s = time.perf_counter() - t0
        futures = []
        for k in range(repeat):
            for path, sc in loaded:
                db = dbs[dataset_key(sc.dataset, path.parent)]
                wd = workdir / "runs" / f"{sc.id}-{k}"
                futures.append(
                    (
                        sc,
                        k,
                        pool.submit(
                            run_scenario,
                            str(path),
                            sc.model_dump(mode="json"),
                            db,
                            str(wd),
                            planner,
                        ),
                    )
                )
        for sc, k, fut in futures:
            res = {
                **fut.result(),
                "repeat": k,
                "objective": sc.objective,
                "language": sc.language,
                "tags": sc.tags,
            }
            results.append(res)
            if progress is not None:
                progress(res)
    return build_report(
        results,
        planner=planner,
        repeat=repeat,
        jobs=jobs,
        wall_s=time.perf_counter() - t0,
        seed_s=seeded_s,
        datasets=len(datasets),
    )


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 3)


def _violations(results: list[dict[str, Any]], name: str) -> int:
    return sum(
        int(c["count"])
        for r in results
        for c in r["checks"]
        if c["name"] == name and not c["passed"]
    )


def build_report(results: list[dict[str, Any]], **meta: Any) -> dict[str, Any]:
    """Aggregate per-scenario results into ``{"summary", "by", "scenarios"}``."""
    by_id: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        by_id.setdefault(r["id"], []).append(r)
    scenarios = []
    for sid, runs in sorted(by_id.items()):
        first = runs[0]
        scenarios.append(
            {
                "id": sid,
                "file": first["file"],
                "objective": first["objective"],
                "language": first["language"],
                "tags": first["tags"],
                "passed": all(r["passed"] for r in runs),
                "passes": sum(int(r["passed"]) for r in runs),
                "runs": len(runs),
                "failed": sorted({f for r in runs for f in r["failed"]}),
                "must_pass_failed": sorted(
                    {
                        c["name"]
                        for r in runs
                        for c in r["checks"]
                        if c["must_pass"] and not c["passed"]
                    }
                ),
                "latency_s": first.get("latency_s", 0.0),
                "sent": first.get("sent", 0),
                "cost": first.get("cost", 0.0),
                "statuses": first.get("statuses", []),
                "checks": first["checks"],
            }
        )
    lat = sorted(float(r.get("latency_s", 0.0)) for r in results)
    n = len(scenarios)
    passed = sum(int(s["passed"]) for s in scenarios)
    summary = {
        "scenarios": n,
        "passed": passed,
        "pass_rate": round(passed / n, 4) if n else 0.0,
        "pass_k": round(sum(int(s["passes"] == s["runs"]) for s in scenarios) / n, 4) if n else 0.0,
        "policy_violations": _violations(results, "consent") + _violations(results, "quiet_hours"),
        "sends_before_approval": _violations(results, "approval_before_send"),
        "trajectory_errors": _violations(results, "trajectory"),
        "llm_calls": sum(int(r.get("llm_calls", 0)) for r in results),
        "tokens": sum(int(r.get("tokens", 0)) for r in results),
        "cost": round(sum(float(r.get("cost", 0.0)) for r in results), 4),
        "latency_p50": _pct(lat, 50),
        "latency_p95": _pct(lat, 95),
        **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in meta.items()},
    }
    return {"summary": summary, "by": _breakdown(scenarios), "scenarios": scenarios}


def _breakdown(scenarios: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {"objective": {}, "language": {}}
    for s in scenarios:
        for dim in out:
            cell = out[dim].setdefault(str(s[dim]), {"scenarios": 0, "passed": 0})
            cell["scenarios"] += 1
            cell["passed"] += int(s["passed"])
    for cells in out.values():
        for cell in cells.values():
            cell["pass_rate"] = round(cell["passed"] / cell["scenarios"], 4)
    return out


def must_pass_failures(report: dict[str, Any]) -> list[str]:
    """``id: check`` for every must-pass check that failed anywhere."""
    return [f"{s['id']}: {c}" for s in report["scenarios"] for c in s["must_pass_failed"]]

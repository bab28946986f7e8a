"""`make bench`: run every benchmark module, write bench/results.json, print a table.

Each module ``bench/bench_<name>.py`` defines ``run(workdir: Path) -> dict[str, Any]`` that
returns flat metrics (numbers or short strings). ``BENCH_ONLY=name1,name2`` selects modules.
Beside each module's ``wall_s`` the runner records ``cpu_s`` (user + system seconds of this
process and its waited-for children) and the 1-minute load average before and after
(``load_avg``): on a shared machine wall seconds alone mislead.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).parent


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    """Run the benchmarks and write the results."""
    only = {s for s in os.environ.get("BENCH_ONLY", "").split(",") if s}
    names = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    results: dict[str, Any] = {
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "benchmarks": {},
    }
    workdir = HERE / "out"
    workdir.mkdir(exist_ok=True)
    failed = False
    for name in names:
        if only and name not in only:
            continue
        print(f"== bench {name}", flush=True)
        mod = importlib.import_module(f"bench.bench_{name}")
        t0, cpu0, load0 = time.perf_counter(), cpu_seconds(), os.getloadavg()[0]
        try:
            metrics = mod.run(workdir / name)
        except Exception:
            traceback.print_exc()
            metrics = {"error": traceback.format_exc(limit=3)}
            failed = True
        metrics["wall_s"] = round(time.perf_counter() - t0, 2)
        metrics["cpu_s"] = round(cpu_seconds() - cpu0, 2)
        metrics["load_avg"] = f"{load0:.1f} -> {os.getloadavg()[0]:.1f}"
        results["benchmarks"][name] = metrics
        out = HERE / "results.json"
        if only and out.exists():
            old = json.loads(out.read_text())
            old["benchmarks"].update(results["benchmarks"])
            results["benchmarks"] = old["benchmarks"]
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    table = Table(title="userops benchmarks (bench/results.json)")
    for col in ("benchmark", "metric", "value"):
        table.add_column(col)
    for name, metrics in results["benchmarks"].items():
        for key, value in metrics.items():
            if key != "error":
                table.add_row(name, key, str(value))
    Console().print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The fault table: inject each model and provider fault N times and report the outcomes.

``python -m tests.faults.table [--n 3] [--messages 20] [--out faults.json]`` prints a table
and writes JSON rows: fault, runs or messages, injected (fault answers served), outcome
counts, duplicates, lost, approvals and sends from half-made plans. Everything is local:
the OpenAI-compatible and SMS fakes over loopback HTTP, SQLite, an injected worker clock.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path
from typing import Any

from tests.faults import model, provider


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run the table; return its rows."""
    ap = argparse.ArgumentParser(prog="python -m tests.faults.table")
    ap.add_argument("--n", type=int, default=3, help="runs per model fault")
    ap.add_argument("--messages", type=int, default=20, help="messages per provider fault")
    ap.add_argument("--out", type=Path, default=None, help="write the JSON rows here")
    args = ap.parse_args(argv)
    t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_utime
    rows = model.run(args.n) + provider.run(args.messages)
    meta = {
        "wall_s": round(time.perf_counter() - t0, 1),
        "cpu_s": round(resource.getrusage(resource.RUSAGE_SELF).ru_utime - c0, 1),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }
    for r in rows:
        extra = {k: v for k, v in r.items() if k not in ("fault", "outcome")}
        print(f"{r['fault']:<44} {json.dumps(r['outcome'], ensure_ascii=False)}  {extra}")
    print(meta)
    if args.out:
        args.out.write_text(
            json.dumps({"rows": rows, "meta": meta}, indent=2, ensure_ascii=False), "utf-8"
        )
    return rows


if __name__ == "__main__":
    main()

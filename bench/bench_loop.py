"""Loop benchmark: the demo's phases on a fresh store, and the personalized-vs-blast result.

Population from ``BENCH_LOOP_USERS`` (default 20,000, as ``userops demo``). Times seeding,
profile building, the run to the approval gate and the run after approval (dispatch to the
sandbox, simulated responses, measurement, lessons); reports sends, both arms' uplift and
the independent policy audit.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any


def run(workdir: Path) -> dict[str, Any]:
    """Seed, build profiles, start the demo goal, approve, measure."""
    from agents.nodes.report import build_report
    from agents.runtime import open_runtime
    from userops.cdp.seed import seed_population
    from userops.cdp.traits import build_profiles
    from userops.cli.demo import BLAST_SHARE, GOALS
    from userops.settings import Settings
    from userops.store.engine import make_engine, upgrade

    users = int(os.environ.get("BENCH_LOOP_USERS", "20000"))
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    settings = Settings(home=workdir)
    engine = make_engine(f"sqlite:///{workdir / 'userops.db'}")
    upgrade(engine)
    t0 = time.perf_counter()
    seed_population(engine, users=users, seed=7, language="zh")
    seed_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    build_profiles(engine)
    profiles_s = time.perf_counter() - t0
    with open_runtime(settings=settings, engine=engine, blast_share=BLAST_SHARE) as rt:
        t0 = time.perf_counter()
        res = rt.start(GOALS["zh"], thread_id="bench-loop", actor="bench-operator")
        to_gate_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = rt.resume(res.thread_id, {"type": "approve"}, actor="bench-approver")
        after_s = time.perf_counter() - t0
    rep = build_report(engine, res.thread_id, res.values, status=res.status, llm_calls=0)
    engine.dispose()
    clicks = rep["kpi_by_metric"]["click_rate"]
    conv = rep["kpi_by_metric"]["conversion_rate"]
    return {
        "users": users,
        "seed_s": round(seed_s, 2),
        "profiles_s": round(profiles_s, 2),
        "loop_to_gate_s": round(to_gate_s, 2),
        "loop_after_approval_s": round(after_s, 2),
        "status": rep["status"],
        "audience": rep["plan"]["audience_size"],
        "sent": rep["sent"],
        "click_uplift_personalized": clicks["personalized"]["uplift"],
        "click_uplift_blast": clicks["blast"]["uplift"],
        "conversion_uplift_personalized": conv["personalized"]["uplift"],
        "conversion_uplift_blast": conv["blast"]["uplift"],
        "policy_violations": rep["policy_violations"],
    }

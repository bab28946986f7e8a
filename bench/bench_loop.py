"""Loop benchmark: the demo's phases on a fresh store, and the personalized-vs-blast result.

Population from ``BENCH_LOOP_USERS`` (default: as ``userops demo``), population seed from
``BENCH_LOOP_SEED``, goal from ``BENCH_LOOP_GOAL`` (default: the demo's). Times (wall and this
process's CPU) seeding, profile building, the run to the approval gate and the run after
approval (dispatch to the sandbox, simulated responses, measurement, lessons); reports
sends, both arms' conversion uplift over the holdout with its 95% CI and the independent
policy audit. ``BENCH_LOOP_CAMPAIGNS=N`` (default 1) repeats the campaign on N copies of
the profiled store under different thread ids (so different holdout, blast and response
draws) and reports how often the personalized arm's uplift beats the blast's, and each arm's
expected (noise-free) message-caused orders per member from the hidden propensities.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _timed(out: dict[str, float], name: str, fn: Callable[[], Any]) -> Any:
    w, c = time.perf_counter(), time.process_time()
    res = fn()
    out[f"{name}_s"] = round(time.perf_counter() - w, 2)
    out[f"{name}_cpu_s"] = round(time.process_time() - c, 2)
    return res


_EXPECTED = """SELECT d.payload, d.channel, u.attributes FROM deliveries d
    JOIN outbox o ON o.idempotency_key = d.idempotency_key JOIN users u ON u.id = d.user_id
    WHERE o.campaign_id = :c AND o.step_id IN (:s, :f)"""

_MEMBERS = """SELECT count(*) FROM campaign_members
    WHERE campaign_id = :c AND step_id = :s AND arm = 'treatment'"""


def _expected(engine: Any, campaign_id: str, step: str) -> float:
    """Noise-free message-caused orders per member of ``step`` (and its fallback).

    From the hidden truth, as the simulator draws them: P(open) x P(click | open) x
    P(convert | click) summed over the arm's deliveries, divided by the arm's treated members.
    """
    import json

    from sqlalchemy import text

    total = 0.0
    with engine.connect() as conn:
        for payload, channel, attrs in conn.execute(
            text(_EXPECTED), {"c": campaign_id, "s": step, "f": f"{step}-fb"}
        ):
            a = json.loads(attrs) if isinstance(attrs, str) else attrs
            prop = a.get("propensity") or {}
            ct = json.loads(payload).get("content_type")
            total += (
                float(prop["channel"].get(channel, 0.15))
                * float(prop["content"].get(ct, 0.1))
                * float(a.get("base_conversion", 0.02))
            )
        n = conn.execute(
            text(_MEMBERS),
            {"c": campaign_id, "s": step},
        ).scalar_one()
    return round(total / max(int(n), 1), 5)


def _campaign(home: Path, goal: str, thread: str, t: dict[str, float]) -> dict[str, Any]:
    """Run the goal to the gate, approve, and return the loop report."""
    from agents.nodes.report import build_report
    from agents.runtime.threads import open_runtime
    from userops.cli.demo import BLAST_SHARE
    from userops.settings import Settings
    from userops.store.engine import make_engine

    engine = make_engine(f"sqlite:///{home / 'userops.db'}")
    with open_runtime(settings=Settings(home=home), engine=engine, blast_share=BLAST_SHARE) as rt:
        res = _timed(t, "loop_to_gate", lambda: rt.start(goal, thread_id=thread, actor="op"))
        res = _timed(
            t,
            "loop_after_approval",
            lambda: rt.resume(res.thread_id, {"type": "approve"}, actor="approver"),
        )
    rep = build_report(engine, res.thread_id, res.values, status=res.status, llm_calls=0)
    rep["expected"] = [_expected(engine, str(rep["campaign_id"]), s) for s in ("s1", "s1b")]
    engine.dispose()
    return rep


def run(workdir: Path) -> dict[str, Any]:
    """Seed, build profiles, start the demo goal, approve, measure (N campaigns)."""
    from userops.cdp.sample.population import seed_population
    from userops.cdp.traits.build import build_profiles
    from userops.cli.demo import DEMO_USERS, GOALS
    from userops.store.engine import make_engine, upgrade

    users = int(os.environ.get("BENCH_LOOP_USERS", str(DEMO_USERS)))
    seed = int(os.environ.get("BENCH_LOOP_SEED", "7"))
    goal = os.environ.get("BENCH_LOOP_GOAL") or GOALS["zh"]
    n = int(os.environ.get("BENCH_LOOP_CAMPAIGNS", "1"))
    shutil.rmtree(workdir, ignore_errors=True)
    (workdir / "0").mkdir(parents=True)
    engine = make_engine(f"sqlite:///{workdir / '0' / 'userops.db'}")
    upgrade(engine)
    t: dict[str, float] = {}
    _timed(t, "seed", lambda: seed_population(engine, users=users, seed=seed, language="zh"))
    _timed(t, "profiles", lambda: build_profiles(engine))
    engine.dispose()
    for k in range(1, n):
        (workdir / str(k)).mkdir()
        shutil.copy(workdir / "0" / "userops.db", workdir / str(k) / "userops.db")
    reps = [_campaign(workdir / str(k), goal, f"bench-loop-{k}", {} if k else t) for k in range(n)]
    rep = reps[0]
    conv = [r["kpi_by_metric"]["conversion_rate"] for r in reps]
    pers = [c["personalized"]["uplift"] for c in conv]
    blast = [c["blast"]["uplift"] for c in conv]
    c0 = conv[0]
    return {
        "users": users,
        "seed": seed,
        **t,
        "status": rep["status"],
        "audience": rep["plan"]["audience_size"],
        "sent": rep["sent"],
        "policy_violations": rep["policy_violations"],
        "conversion_holdout": c0["personalized"]["holdout"],
        "conversion_personalized": c0["personalized"]["treatment"],
        "conversion_blast": c0["blast"]["treatment"],
        "conversion_uplift_personalized": c0["personalized"]["uplift"],
        "conversion_ci_personalized": c0["personalized"]["ci"],
        "conversion_uplift_blast": c0["blast"]["uplift"],
        "conversion_ci_blast": c0["blast"]["ci"],
        "campaigns": n,
        "personalized_wins": sum(p > b for p, b in zip(pers, blast, strict=True)),
        "mean_uplift_personalized": round(statistics.fmean(pers), 5),
        "mean_uplift_blast": round(statistics.fmean(blast), 5),
        "uplifts_personalized": pers,
        "uplifts_blast": blast,
        "expected_uplift_personalized": statistics.fmean(r["expected"][0] for r in reps),
        "expected_uplift_blast": statistics.fmean(r["expected"][1] for r in reps),
    }

"""Personalized plan vs one-size-fits-all blast over several populations and campaigns.

For each population seed in ``BENCH_PERS_SEEDS`` (default ``7,8``) a fresh store of
``BENCH_PERS_USERS`` (default: as ``userops demo``) is seeded and profiled; the demo goal
(``BENCH_PERS_GOAL``, default the demo's) then runs ``BENCH_PERS_CAMPAIGNS`` times (default 5)
on copies of the profiled store under different thread ids (other holdout, blast split and
response draws), on the demo's fixed clock. Reported: wins of the personalized arm's
conversion uplift over the blast's, both arms' mean uplift with the mean of their 95% CIs,
the noise-free expected message-caused orders per treated member of each arm (from the
hidden propensities, read here to judge the product, never by the planner), and how well the
profile traits recover the hidden truth (content_affinity accuracy where labelled, the
preferred channel's P(open) against the best reachable channel's). The covariate-adjusted
(CUPED) estimates of both arms are reported beside the raw ones (``adjusted_*``), with their
mean standard errors and variance reduction.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from bench.bench_loop import _expected


def _campaign(home: Path, goal: str, thread: str, now_ts: int) -> dict[str, Any]:
    """Run the goal to the gate, approve, and return the loop report."""
    from agents.nodes.report import build_report
    from agents.runtime.threads import open_runtime
    from userops.cli.demo import BLAST_SHARE
    from userops.settings import Settings
    from userops.store.engine import make_engine

    engine = make_engine(f"sqlite:///{home / 'userops.db'}")
    s = Settings(home=home)
    with open_runtime(settings=s, engine=engine, blast_share=BLAST_SHARE, now_ts=now_ts) as rt:
        res = rt.start(goal, thread_id=thread, actor="op")
        res = rt.resume(res.thread_id, {"type": "approve"}, actor="approver")
    rep = build_report(engine, res.thread_id, res.values, status=res.status, llm_calls=0)
    rep["expected"] = [_expected(engine, str(rep["campaign_id"]), s) for s in ("s1", "s1b")]
    engine.dispose()
    return rep


def trait_quality(engine: Any) -> dict[str, float]:
    """Content affinity accuracy and channel choice quality against the hidden truth."""
    from sqlalchemy import text

    n = labelled = right = reach_n = 0
    p_pref = p_best = 0.0
    sql = text(
        "SELECT t.content_affinity, t.preferred_channel, t.reachable_channels, u.attributes"
        " FROM traits t JOIN users u ON u.id = t.user_id"
    )
    with engine.connect() as conn:
        for aff, pref, reach, attrs in conn.execute(sql):
            a = json.loads(attrs) if isinstance(attrs, str) else (attrs or {})
            if not a:
                continue
            n += 1
            if aff is not None:
                labelled += 1
                right += aff == a.get("persona")
            chans = [c for c in (reach or "").split(",") if c]
            if chans and pref in chans:
                p_open = a["propensity"]["channel"]
                reach_n += 1
                p_pref += p_open[pref]
                p_best += max(p_open[c] for c in chans)
    return {
        "affinity_coverage": round(labelled / max(n, 1), 4),
        "affinity_accuracy": round(right / max(labelled, 1), 4),
        "preferred_reachable_share": round(reach_n / max(n, 1), 4),
        "preferred_p_open": round(p_pref / max(reach_n, 1), 4),
        "best_reachable_p_open": round(p_best / max(reach_n, 1), 4),
    }


def _population(workdir: Path, users: int, seed: int) -> tuple[Path, dict[str, Any]]:
    from userops.cdp.sample.population import seed_population
    from userops.cdp.traits.build import build_profiles
    from userops.store.engine import make_engine, upgrade

    base = workdir / f"seed{seed}"
    base.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{base / 'userops.db'}")
    upgrade(engine)
    seed_population(engine, users=users, seed=seed, language="zh")
    build_profiles(engine)
    quality = trait_quality(engine)
    engine.dispose()
    return base, quality


def _mean(xs: list[float]) -> float:
    return round(statistics.fmean(xs), 5)


def _adjusted_summary(reps: list[dict[str, Any]]) -> dict[str, Any]:
    """Wins, mean uplift, mean CI and variance reduction of the covariate-adjusted estimates."""
    pers = [r["kpi"]["adjusted"] for r in reps]
    blast = [r["baseline_blast"]["adjusted"] for r in reps]
    out: dict[str, Any] = {
        "adjusted_covariate": pers[0]["covariate"],
        "adjusted_personalized_wins": sum(
            p["uplift"] > b["uplift"] for p, b in zip(pers, blast, strict=True)
        ),
        "adjusted_mean_diff": _mean(
            [p["uplift"] - b["uplift"] for p, b in zip(pers, blast, strict=True)]
        ),
    }
    for name, arm in (("personalized", pers), ("blast", blast)):
        out[f"adjusted_mean_uplift_{name}"] = _mean([a["uplift"] for a in arm])
        out[f"adjusted_mean_ci_{name}"] = [
            _mean([a["ci"][0] for a in arm]),
            _mean([a["ci"][1] for a in arm]),
        ]
        out[f"adjusted_mean_se_{name}"] = _mean([a["se"] for a in arm])
        out[f"raw_mean_se_{name}"] = _mean([a["raw_se"] for a in arm])
        out[f"adjusted_variance_reduction_{name}"] = _mean([a["variance_reduction"] for a in arm])
    return out


def run(workdir: Path) -> dict[str, Any]:
    """Seed populations, run the demo goal N times on each, compare the two arms."""
    from userops.cli.demo import DEMO_NOW, DEMO_USERS, GOALS, demo_clock

    users = int(os.environ.get("BENCH_PERS_USERS", str(DEMO_USERS)))
    seeds = [int(s) for s in os.environ.get("BENCH_PERS_SEEDS", "7,8").split(",") if s]
    n = int(os.environ.get("BENCH_PERS_CAMPAIGNS", "5"))
    goal = os.environ.get("BENCH_PERS_GOAL") or GOALS["zh"]
    now_ts = demo_clock(DEMO_NOW["zh"], "zh")
    assert now_ts is not None
    shutil.rmtree(workdir, ignore_errors=True)
    wall, cpu = time.perf_counter(), time.process_time()
    reps: list[dict[str, Any]] = []
    qualities: list[dict[str, float]] = []
    for seed in seeds:
        base, quality = _population(workdir, users, seed)
        qualities.append(quality)
        for k in range(n):
            home = workdir / f"seed{seed}-c{k}"
            home.mkdir()
            shutil.copy(base / "userops.db", home / "userops.db")
            reps.append(_campaign(home, goal, f"bench-pers-{seed}-{k}", now_ts))
            shutil.rmtree(home)
    conv = [r["kpi_by_metric"]["conversion_rate"] for r in reps]
    pers = [c["personalized"] for c in conv]
    blast = [c["blast"] for c in conv]
    out: dict[str, Any] = {
        "users": users,
        "seeds": ",".join(map(str, seeds)),
        "campaigns": len(reps),
        "audience_mean": _mean([r["plan"]["audience_size"] for r in reps]),
        "personalized_wins": sum(
            p["uplift"] > b["uplift"] for p, b in zip(pers, blast, strict=True)
        ),
        "mean_uplift_personalized": _mean([p["uplift"] for p in pers]),
        "mean_ci_personalized": [
            _mean([p["ci"][0] for p in pers]),
            _mean([p["ci"][1] for p in pers]),
        ],
        "mean_uplift_blast": _mean([b["uplift"] for b in blast]),
        "mean_ci_blast": [_mean([b["ci"][0] for b in blast]), _mean([b["ci"][1] for b in blast])],
        "mean_diff": _mean([p["uplift"] - b["uplift"] for p, b in zip(pers, blast, strict=True)]),
        "uplifts_personalized": [p["uplift"] for p in pers],
        "uplifts_blast": [b["uplift"] for b in blast],
        **_adjusted_summary(reps),
        "expected_personalized": _mean([r["expected"][0] for r in reps]),
        "expected_blast": _mean([r["expected"][1] for r in reps]),
        "policy_violations": sum(int(r["policy_violations"]) for r in reps),
        "wall_s": round(time.perf_counter() - wall, 1),
        "cpu_s": round(time.process_time() - cpu, 1),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }
    for key in qualities[0]:
        out[key] = _mean([q[key] for q in qualities])
    return out


if __name__ == "__main__":
    print(json.dumps(run(Path(os.environ.get("BENCH_PERS_DIR", "/tmp/bench_pers"))), indent=1))

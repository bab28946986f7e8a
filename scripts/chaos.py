"""Chaos test on PostgreSQL: API and dispatch workers killed with SIGKILL while a campaign drains.

``make chaos`` (or ``python -m scripts.chaos --recipients 200000 --out bench/out/chaos.json``):

1. a fresh PostgreSQL database of its own (next to ``USEROPS_TEST_PG_URL``), N users with SMS
   consent, one operator and six approvers;
2. ``userops serve --workers 2`` and three ``userops worker run`` processes against it;
3. the campaign's approval request decided by six approvers at once over HTTP (different
   decision ids): exactly one wins, the others get 409; nothing is in the outbox
   before that;
4. the approved step enqueued while the workers drain it; every few seconds a random worker
   (an API worker or a dispatch worker) is killed with SIGKILL and restarted (uvicorn's
   supervisor restarts API workers; the harness restarts dispatch workers); meanwhile more
   approval requests are contested over HTTP, a request dropped by a kill being retried with
   the same decision id;
5. the outcome read back from the database: every message delivered exactly once (sandbox
   deliveries by idempotency key), none lost, every approval decided once (one winner, one
   decision audit row). Figures are printed and written as JSON; any violation exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scripts import chaos_setup as S
from scripts.chaos_procs import Cluster, Decisions
from userops.dispatch.engine import enqueue
from userops.dispatch.policy import Policy


@dataclass
class Config:
    """What to run (defaults: the issue's figures)."""

    recipients: int = 200_000
    api_workers: int = 2
    dispatch_workers: int = 3
    kill_min_s: float = 2.0
    kill_max_s: float = 5.0
    side_approvals: int = 12
    lease_s: int = 10
    batch: int = 1000
    seed: int = 7
    timeout_s: float = 1800.0
    workdir: Path = field(default_factory=lambda: Path("bench/out/chaos"))
    admin_url: str = S.PG_ADMIN_URL
    keep_db: bool = False


def _chaos(
    cluster: Cluster,
    dec: Decisions,
    side: list[str],
    cfg: Config,
    stop: threading.Event,
    contests: list[threading.Thread],
) -> None:
    """Kill a random worker every few seconds and contest a side approval.

    Runs until ``stop`` is set and every side approval has been contested.
    """
    rng = random.Random(cfg.seed)
    queue = list(side)
    while True:
        stop.wait(rng.uniform(cfg.kill_min_s, cfg.kill_max_s))
        if stop.is_set() and not queue:
            return
        if queue:  # decisions in flight when the kill lands: some requests are dropped
            aid = queue.pop(0)
            names = rng.sample(S.APPROVERS, 3)
            kinds = [rng.choice(["approve", "reject"]) for _ in names]
            t = threading.Thread(target=dec.contest, args=(aid, names, kinds), daemon=True)
            t.start()
            contests.append(t)
            time.sleep(rng.uniform(0.0, 0.04))
        pick = rng.randrange(cfg.api_workers + cfg.dispatch_workers)
        cluster.kill_one("api" if pick < cfg.api_workers else "dispatch", pick)


def _drain(engine: Any, cluster: Cluster, n: int, cfg: Config, t0: float) -> list[list[Any]]:
    """Wait until nothing waits in the outbox and everything enqueued is delivered."""
    progress = []
    while time.monotonic() - t0 < cfg.timeout_s:
        time.sleep(2)
        done, left = S.delivered(engine), S.waiting(engine)
        progress.append([round(time.monotonic() - t0, 1), done, left, dict(cluster.kills)])
        print(
            f"  t={progress[-1][0]:>6}s delivered {done:>7}/{n}  waiting {left:>7}"
            f"  kills {dict(cluster.kills)}",
            flush=True,
        )
        if left == 0 and done >= n:
            break
    return progress


def run_chaos(cfg: Config) -> dict[str, Any]:
    """Run the whole scenario; return the figures (``violations`` empty when all held)."""
    cfg.workdir.mkdir(parents=True, exist_ok=True)
    t_start = time.monotonic()
    url = S.create_database(cfg.admin_url)
    cluster: Cluster | None = None
    try:
        t0 = time.monotonic()
        engine = S.seed(url, cfg.recipients)
        tokens = S.accounts(engine)
        ids = S.approval_requests(engine, cfg.recipients, cfg.side_approvals)
        policy_path = S.write_policy(cfg.workdir, lease=cfg.lease_s, batch=cfg.batch)
        seed_s = time.monotonic() - t0
        env = {
            **os.environ,
            "USEROPS_DATABASE_URL": url,
            "USEROPS_HOME": str(cfg.workdir / "home"),
            "USEROPS_EMBEDDING": "hashing",
            "USEROPS_POLICY_FILE": str(policy_path),
        }
        cluster = Cluster(env, cfg.workdir, policy_path, cfg.api_workers)
        t0 = time.monotonic()
        cluster.start_api()
        for i in range(cfg.dispatch_workers):
            cluster.start_worker(i)
        start_s = time.monotonic() - t0
        dec = Decisions(cluster.url, tokens)
        dec.contest(S.MAIN_APPROVAL, list(S.APPROVERS), ["approve"] * len(S.APPROVERS))
        before = S.delivered(engine) + S.waiting(engine)
        from userops.approvals import records as approvals

        approved = approvals.is_approved(engine, S.MAIN_APPROVAL)
        stop = threading.Event()
        contests: list[threading.Thread] = []
        chaos = threading.Thread(
            target=_chaos, args=(cluster, dec, ids[1:], cfg, stop, contests), daemon=True
        )
        t0 = time.monotonic()
        c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        chaos.start()
        if approved:  # the dispatch node's rule: nothing is enqueued without the decision
            enqueue(engine, S.campaign_step(cfg.recipients), policy=Policy.load(policy_path))
        progress = _drain(engine, cluster, cfg.recipients if approved else 0, cfg, t0)
        drain_s = time.monotonic() - t0
        stop.set()
        chaos.join()
        for t in contests:  # side contests still answering
            t.join(timeout=120)
        cluster.stop()
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        db = S.verify(engine, cfg.recipients, ids)
        engine.dispose()
    finally:
        if cluster is not None:
            cluster.stop()
        if not cfg.keep_db:
            S.drop_database(url, cfg.admin_url)
    decisions = dec.summary()
    out: dict[str, Any] = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()},
        "kills": {"api": cluster.kills["api"], "dispatch": cluster.kills["dispatch"]},
        "kills_total": sum(cluster.kills.values()),
        "main_approval_approved": approved,
        "outbox_before_approval": before,
        **db,
        "decisions": decisions,
        "seed_s": round(seed_s, 1),
        "start_s": round(start_s, 1),
        "drain_s": round(drain_s, 1),
        "drain_msgs_per_s": round(db["delivered"] / drain_s) if drain_s else 0,
        "children_cpu_s": round((c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime), 1),
        "duration_s": round(time.monotonic() - t_start, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "progress": progress,
    }
    out["violations"] = violations(out, cfg)
    return out


def violations(out: dict[str, Any], cfg: Config) -> list[str]:
    """Every broken guarantee, in words (empty: all held)."""
    bad = []
    if not out["main_approval_approved"]:
        bad.append("the campaign's approval was not recorded as approved")
    if out["outbox_before_approval"]:
        bad.append(f"{out['outbox_before_approval']} outbox rows before the approval")
    if out["duplicate_deliveries"]:
        bad.append(f"{out['duplicate_deliveries']} duplicate deliveries")
    if out["lost"]:
        bad.append(f"{out['lost']} messages lost")
    if out["delivered"] != cfg.recipients or out["outbox_states"] != {"sent": cfg.recipients}:
        bad.append(f"delivered {out['delivered']}, outbox {out['outbox_states']}")
    if out["approvals_pending"]:
        bad.append(f"approvals never decided: {out['approvals_pending']}")
    for aid, n in out["approval_decision_audits"].items():
        if n != 1:
            bad.append(f"approval {aid}: {n} decision audit rows")
    d = out["decisions"]
    for aid, n in d["winners_per_approval"].items():
        if n != 1:
            bad.append(f"approval {aid}: {n} clients got 200")
    bad += [f"unexpected answer: {u}" for u in d["unexpected"]]
    if out["kills_total"] == 0:
        bad.append("no kill landed while the outbox drained")
    return bad


def main(argv: list[str] | None = None) -> int:
    """Command line: run, print the figures, write the JSON, exit 1 on any violation."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--recipients", type=int, default=Config.recipients)
    ap.add_argument("--kill-min", type=float, default=Config.kill_min_s)
    ap.add_argument("--kill-max", type=float, default=Config.kill_max_s)
    ap.add_argument("--side-approvals", type=int, default=Config.side_approvals)
    ap.add_argument("--seed", type=int, default=Config.seed)
    ap.add_argument("--out", type=Path, default=Path("bench/out/chaos.json"))
    ap.add_argument("--keep-db", action="store_true", help="Keep the database for inspection.")
    a = ap.parse_args(argv)
    cfg = Config(
        recipients=a.recipients,
        kill_min_s=a.kill_min,
        kill_max_s=a.kill_max,
        side_approvals=a.side_approvals,
        seed=a.seed,
        keep_db=a.keep_db,
    )
    out = run_chaos(cfg)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")
    d = out["decisions"]
    print(
        f"kills: api {out['kills']['api']}, dispatch {out['kills']['dispatch']}\n"
        f"delivered {out['delivered']}/{cfg.recipients}  duplicates={out['duplicate_deliveries']}"
        f"  lost={out['lost']}  outbox {out['outbox_states']}\n"
        f"approvals {d['approvals_contested']}: posts {d['posts']}, 200 {d['won_200']}"
        f" (replayed {d['replayed_after_dropped_request']}), 409 {d['conflict_409']},"
        f" dropped+retried {d['requests_dropped_by_kills_and_retried']}\n"
        f"drain {out['drain_s']} s ({out['drain_msgs_per_s']} msgs/s), total"
        f" {out['duration_s']} s, load {out['load_avg_1m']}  -> {a.out}"
    )
    for v in out["violations"]:
        print("VIOLATION:", v, file=sys.stderr)
    return 1 if out["violations"] else 0


if __name__ == "__main__":
    raise SystemExit(main())

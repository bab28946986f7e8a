"""The chaos harness (``make chaos``, scripts/chaos.py) at CI size on the real PostgreSQL.

``userops serve --workers 2`` and three ``userops worker run`` processes; six approvers race
for the campaign's approval over HTTP; while 15,000 messages drain, a random worker is killed
with SIGKILL every 0.5-1.5 s and restarted, and more approvals are contested under the kills.
About 30-60 s on the shared 2-core machine (process start-up dominates): the one test that
proves exactly-once across processes on PostgreSQL; ``make chaos`` runs the 200,000 version.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL, PG_AVAILABLE

N = 15_000


@pytest.mark.slow
@pytest.mark.pg
def test_sigkill_api_and_dispatch_workers_on_postgres_loses_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    if not PG_AVAILABLE:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    from scripts.chaos import Config, run_chaos

    cfg = Config(
        recipients=N,
        kill_min_s=0.5,
        kill_max_s=1.5,
        side_approvals=3,
        lease_s=5,
        batch=500,
        timeout_s=240,
        workdir=tmp_path,
        admin_url=PG_ADMIN_URL,
    )
    out = run_chaos(cfg)
    print({k: out[k] for k in ("kills", "delivered", "duplicate_deliveries", "lost", "drain_s")})
    assert out["violations"] == []
    assert out["kills"]["api"] >= 1 and out["kills"]["dispatch"] >= 1, out["kills"]
    assert out["outbox_before_approval"] == 0 and out["main_approval_approved"]
    assert out["delivered"] == N and out["distinct_keys_delivered"] == N
    assert out["duplicate_deliveries"] == 0 and out["lost"] == 0
    d = out["decisions"]
    assert d["approvals_contested"] == 4 and set(d["winners_per_approval"].values()) == {1}
    assert d["conflict_409"] == d["posts"] - 4  # every loser was told, none got a 500
    assert set(out["approval_decision_audits"].values()) == {1}

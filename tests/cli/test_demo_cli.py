"""`userops demo`: stops at the gate without --yes; finishes with --yes; JSON report keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import text
from typer.testing import CliRunner

from userops.cli.main import app

runner = CliRunner()
KEYS = {
    "thread_id",
    "campaign_id",
    "status",
    "plan",
    "approvals",
    "sent",
    "deferred",
    "suppressed",
    "approved",
    "kpi",
    "baseline_blast",
    "policy_violations",
    "llm_calls",
}


def _outbox(campaign_id: str) -> int:
    from userops.store.engine import open_store

    with open_store().connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM outbox WHERE campaign_id = :c"), {"c": campaign_id}
            ).scalar_one()
        )


def _card_bounds_dispatch(rep: dict[str, Any]) -> None:
    """The card lists every step that sent, and what went out stays within it."""
    from userops.approvals.card import ApprovalCard
    from userops.approvals.records import get
    from userops.store.engine import open_store

    card = ApprovalCard.model_validate(get(open_store(), rep["approval_id"]).card)
    assert card.contract is not None and card.understood is not None
    kinds = {(s.step_id, s.kind) for s in card.contract.steps}
    assert {("s1", "main"), ("s1b", "comparison")} <= kinds
    assert {k for _s, k in kinds} >= {"fallback"}  # the demo's plan falls back to SMS
    approved = rep["approved"]
    assert approved["max_messages"] == card.contract.max_messages  # one card approved
    assert rep["sent"] + rep["deferred"] <= approved["max_messages"]
    assert rep["cost"] <= approved["max_cost"] + 1e-4
    for ch, row in approved["by_channel"].items():
        assert row["sent"] <= row["max_messages"] and row["cost"] <= row["max_cost"] + 1e-4, ch
    # the main step and the comparison arm send exactly what the card says (same clock)
    main = [s for s in card.contract.steps if s.kind in ("main", "comparison")]
    with open_store().connect() as conn:
        held = conn.execute(
            text(
                "SELECT count(*) FROM outbox WHERE campaign_id = :c AND state != 'suppressed'"
                " AND step_id IN ('s1', 's1b')"
            ),
            {"c": rep["campaign_id"]},
        ).scalar_one()
    assert (
        held == sum(s.max_messages for s in main) == card.preflight.sent + card.preflight.deferred
    )


def test_demo_gate_then_cli_approve_then_yes(home: Path) -> None:
    res = runner.invoke(app, ["demo", "--json", "--users", "1500"])
    assert res.exit_code == 0, res.output
    first = json.loads(res.stdout)
    assert KEYS <= set(first) and first["status"] == "awaiting_approval"
    assert first["plan"]["steps"] >= 1 and first["plan"]["audience_size"] > 0
    assert first["approvals"] == [] and _outbox(first["campaign_id"]) == 0
    assert first["approved"]["max_messages"] == 0  # nothing is permitted before a decision
    approve = runner.invoke(
        app, ["approvals", "approve", first["approval_id"], "--as", "ana", "--json"]
    )
    assert approve.exit_code == 0, approve.output
    assert json.loads(approve.stdout)["status"] == "completed"
    assert _outbox(first["campaign_id"]) > 0

    res = runner.invoke(app, ["demo", "--yes", "--json", "--users", "1500"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert rep["status"] == "completed" and rep["campaign_id"] != first["campaign_id"]
    assert rep["approvals"][0]["status"] == "approved"
    assert rep["approvals"][0]["actor"] == "demo-approver"
    assert rep["sent"] > 0 and rep["policy_violations"] == 0 and rep["llm_calls"] == 0
    _card_bounds_dispatch(rep)
    kpi, blast = rep["kpi"], rep["baseline_blast"]
    assert kpi["metric"] == "conversion_rate"  # orders: the holdout's count, unlike clicks
    assert kpi["ci"][0] <= kpi["uplift"] <= kpi["ci"][1]
    assert blast["ci"][0] <= blast["uplift"] <= blast["ci"][1]
    for arm in (kpi, blast):  # covariate-adjusted beside the raw estimate, same raw difference
        adj = arm["adjusted"]
        assert adj["ci"][0] <= adj["uplift"] <= adj["ci"][1] and "orders_pre" in adj["covariate"]
        assert adj["variance_reduction"] < 1 and adj["raw_se"] > 0
    conv = rep["kpi_by_metric"]["conversion_rate"]
    assert conv["personalized"]["uplift"] == kpi["uplift"]
    assert conv["blast"]["uplift"] == blast["uplift"]
    assert conv["blast"]["holdout"] == kpi["holdout"]  # both arms against the same holdout
    assert "click_rate" in rep["metric_notes"] and "conversion_rate" not in rep["metric_notes"]
    with_text = runner.invoke(app, ["demo", "--language", "fr"])
    assert with_text.exit_code == 1 and "--language='fr'" in with_text.output

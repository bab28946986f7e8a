"""Rendering of approval cards and loop reports for the terminal (shared by CLI commands)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def print_card(console: Console, card: dict[str, Any]) -> None:
    """Print an approval card: understood goal, plan, pre-flight, contract, previews, findings."""
    pre = card.get("preflight") or {}
    plan = card.get("plan") or {}
    console.rule(f"approval {card.get('approval_id')}  risk={card.get('risk_tier')}")
    console.print(
        f"plan: {plan.get('name')}  revision {card.get('revision')}  step {card.get('step_id')}  "
        f"requested by {card.get('requested_by')}",
        markup=False,
    )
    for line in (card.get("understood") or {}).get("lines") or []:
        console.print(f"  understood: {line}", markup=False)
    if plan.get("rationale"):
        console.print(plan["rationale"], markup=False)
    console.print(
        f"audience {card.get('audience_size')}: send {pre.get('sent')}, defer "
        f"{pre.get('deferred')}, holdout {pre.get('holdout')}, cost {pre.get('cost')}",
        markup=False,
    )
    if pre.get("suppressed"):
        console.print(f"suppressed: {pre['suppressed']}", markup=False)
    if pre.get("by_channel"):
        console.print(f"by channel: {pre['by_channel']}", markup=False)
    print_contract(console, card.get("contract"))
    previews = card.get("previews") or []
    if previews:
        table = Table("step", "variant", "channel", "persona", "sample", "preview")
        for p in previews[:12]:
            table.add_row(
                str(p.get("step_id")),
                str(p.get("variant_id")),
                str(p.get("channel")),
                str(p.get("persona") or ""),
                str((p.get("sample_user") or {}).get("name", "")),
                str(p.get("body") or "")[:120],
            )
        console.print(table)
    for f in card.get("findings") or []:
        console.print(f"[{f.get('severity')}] {f.get('check')}: {f.get('message')}", markup=False)
    if card.get("escalated"):
        console.print("escalated: the evaluator still asks for changes", markup=False)
    for d in (card.get("diff") or [])[:20]:
        console.print(f"~ {d['path']}: {d['before']!r} -> {d['after']!r}", markup=False)


def print_contract(console: Console, contract: dict[str, Any] | None) -> None:
    """Print what an approval permits: each step, per channel, and the totals."""
    if not contract:
        return
    table = Table("step", "kind", "of", "channel", "max messages", "max cost")
    for step in contract.get("steps") or []:
        for b in step.get("bounds") or []:
            table.add_row(
                str(step.get("step_id")),
                str(step.get("kind")),
                str(step.get("of") or ""),
                str(b.get("channel")),
                str(b.get("max_messages")),
                str(b.get("max_cost")),
            )
    console.print(table)
    console.print(
        f"approving permits at most {contract.get('max_messages')} messages costing at most "
        f"{contract.get('max_cost')}; the engine sends nothing beyond",
        markup=False,
    )


def print_report(console: Console, report: dict[str, Any]) -> None:
    """Print the demo/chat report."""
    console.rule(f"campaign {report.get('campaign_id')}  status={report.get('status')}")
    plan = report.get("plan") or {}
    console.print(
        f"plan: {plan.get('steps')} step(s), audience {plan.get('audience_size')}", markup=False
    )
    console.print(
        f"sent {report.get('sent')}, deferred {report.get('deferred')}, "
        f"suppressed {report.get('suppressed')}",
        markup=False,
    )
    approved = report.get("approved") or {}
    console.print(
        f"approved at most {approved.get('max_messages')} messages costing at most "
        f"{approved.get('max_cost')}; sent {report.get('sent')} costing {report.get('cost')}",
        markup=False,
    )
    kpi = report.get("kpi")
    if kpi:
        lo, hi = kpi["ci"]
        console.print(
            f"{kpi['metric']}: treatment {kpi['treatment']:.2%} vs holdout {kpi['holdout']:.2%}"
            f" -> uplift {kpi['uplift']:+.2%} (95% CI {lo:+.2%} .. {hi:+.2%})",
            markup=False,
        )
    blast = report.get("baseline_blast")
    if blast and blast.get("uplift") is not None:
        ci = blast.get("ci") or [None, None]
        band = f" (95% CI {ci[0]:+.2%} .. {ci[1]:+.2%})" if None not in ci else ""
        console.print(
            "one-size-fits-all blast (same audience, same holdout): "
            f"uplift {blast['uplift']:+.2%}{band}",
            markup=False,
        )
    _adjusted(console, kpi, blast)
    for metric, arms in (report.get("kpi_by_metric") or {}).items():
        cells = [
            f"{arm} {v['uplift']:+.2%} [{v['ci'][0]:+.2%}, {v['ci'][1]:+.2%}]"
            for arm, v in arms.items()
            if v
        ]
        console.print(f"  {metric} uplift over holdout: " + "; ".join(cells), markup=False)
    console.print(
        f"policy violations: {report.get('policy_violations')}  LLM calls: "
        f"{report.get('llm_calls')}",
        markup=False,
    )


def _adjusted(console: Console, kpi: dict[str, Any] | None, blast: dict[str, Any] | None) -> None:
    """Print the covariate-adjusted uplift of both arms beside the raw one."""
    rows = [
        (name, (arm or {}).get("adjusted"))
        for name, arm in (("personalized", kpi), ("blast", blast))
    ]
    shown = [(n, a) for n, a in rows if a and a.get("ci")]
    if not shown:
        return
    console.print(f"covariate-adjusted (CUPED on {shown[0][1]['covariate']}):", markup=False)
    for name, a in shown:
        lo, hi = a["ci"]
        console.print(
            f"  {name} uplift {a['uplift']:+.2%} (95% CI {lo:+.2%} .. {hi:+.2%}), "
            f"variance reduced {a['variance_reduction']:.1%}",
            markup=False,
        )

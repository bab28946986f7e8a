"""`userops approvals`: Review and decide approval requests."""

from __future__ import annotations

import getpass
import os
from typing import Any

import typer

from userops.cli.common import JsonOpt, console, print_json, store, user_errors
from userops.text_limits import check_text

app = typer.Typer(help="Review and decide approval requests.", no_args_is_help=True)

AsOpt = typer.Option(None, "--as", help="Who decides (default: $USEROPS_USER or your login).")


def actor_name(as_: str | None) -> str:
    """Return the acting user: ``--as``, ``$USEROPS_USER`` or the login name."""
    return as_ or os.environ.get("USEROPS_USER") or getpass.getuser()


@app.command("list")
def list_(
    status: str = typer.Option("pending", help="pending, approved, rejected, edited or all."),
    as_json: bool = JsonOpt,
) -> None:
    """List approval requests (pending by default)."""
    from rich.table import Table

    from userops.approvals.records import list_approvals

    with user_errors():
        rows = list_approvals(store(), status=None if status == "all" else status)
    if as_json:
        print_json([r.to_dict(with_card=False) for r in rows])
        return
    table = Table(
        "id", "campaign", "rev", "status", "risk", "requested by", "edited by", "decided by"
    )
    for r in rows:
        table.add_row(
            r.id,
            r.campaign_id,
            str(r.revision),
            r.status,
            r.risk_tier,
            r.requested_by or "",
            r.edited_by or "",
            r.decided_by or "",
        )
    console.print(table)


@app.command("show")
def show(approval_id: str, as_json: bool = JsonOpt) -> None:
    """Show one approval card: plan, pre-flight, previews, findings, risk, diff."""
    from userops.approvals.records import get
    from userops.cli.loop_view import print_card

    with user_errors():
        rec = get(store(), approval_id)
    if as_json:
        print_json(rec.to_dict())
        return
    print_card(console, rec.card)
    edited = f"  edited by: {rec.edited_by} (may not approve it)" if rec.edited_by else ""
    line = f"status: {rec.status}  decided by: {rec.decided_by or '-'}{edited}"
    console.print(line, markup=False)


def decide_and_resume(approval_id: str, decision: dict[str, Any], actor: str) -> dict[str, Any]:
    """Record ``decision`` through the loop runtime (resumes the thread); return a summary."""
    from agents.nodes.report import build_report
    from agents.runtime.threads import open_runtime

    engine = store()
    with open_runtime(engine=engine) as rt:
        res = rt.decide(approval_id, decision, actor=actor)
    return build_report(engine, res.thread_id, res.values, status=res.status, llm_calls=0)


def _print_outcome(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(summary)
        return
    from userops.cli.loop_view import print_report

    if summary["status"] == "awaiting_approval":
        console.print(f"thread now waits for approval {summary['approval_id']}", markup=False)
    else:
        print_report(console, summary)


@app.command("approve")
def approve(
    approval_id: str,
    comment: str = typer.Option(None, "--comment", help="Optional note kept with the decision."),
    as_: str = AsOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Approve a request and let its thread continue (dispatch, measure, report).

    Refused for the requester (unless the policy allows self-approval) and, always, for
    whoever last edited the plan.
    """
    decision: dict[str, Any] = {"type": "approve"}
    if comment:
        decision["message"] = comment
    with user_errors():
        check_text(comment or "", "--comment")
        summary = decide_and_resume(approval_id, decision, actor_name(as_))
    _print_outcome(summary, as_json)


@app.command("reject")
def reject(
    approval_id: str,
    reason: str = typer.Option(..., "--reason", help="Why; sent to the planner for a revision."),
    as_: str = AsOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Reject a request; the planner revises the plan and asks again."""
    with user_errors():
        check_text(reason, "--reason")
        summary = decide_and_resume(
            approval_id, {"type": "reject", "message": reason}, actor_name(as_)
        )
    _print_outcome(summary, as_json)


@app.command("comment")
def comment(approval_id: str, text: str, as_: str = AsOpt, as_json: bool = JsonOpt) -> None:
    """Comment on a request without deciding (it stays pending)."""
    with user_errors():
        check_text(text, "TEXT")
        summary = decide_and_resume(
            approval_id, {"type": "respond", "message": text}, actor_name(as_)
        )
    _print_outcome(summary, as_json)

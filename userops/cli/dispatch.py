"""`userops dispatch`: Dispatch pre-flight and policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from userops.cli.common import JsonOpt, console, print_json, store, user_errors

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

app = typer.Typer(help="Dispatch pre-flight and policy.", no_args_is_help=True)

PolicyOpt = typer.Option(None, "--policy", help="Policy YAML (default: USEROPS_POLICY_FILE).")


def read_step(path: Path) -> Any:
    """Read a DispatchStep JSON file; BadInput names the file, line and field."""
    from pydantic import ValidationError

    from userops.dispatch.models import DispatchStep
    from userops.errors import BadInput

    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput.one(f"cannot read: {exc.strerror}", source=str(path)) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadInput.one(f"invalid JSON: {exc.msg}", source=str(path), line=exc.lineno) from None
    try:
        return DispatchStep.model_validate(data)
    except ValidationError as exc:
        raise BadInput.from_validation_error(exc, source=str(path), value=_scalar) from None


def _scalar(e: ErrorDetails) -> Any:
    """The input of a validation error, unless it is a whole object or list."""
    found = e.get("input")
    return None if isinstance(found, dict | list) else found


@app.command()
def preflight(
    plan: Path = typer.Argument(..., help="DispatchStep JSON (see docs/policy.md)."),
    policy_file: Path | None = PolicyOpt,
    now: int | None = typer.Option(None, "--now", help="Evaluate at this UTC epoch second."),
    as_json: bool = JsonOpt,
) -> None:
    """What a dispatch would send, defer and suppress (per reason), and its cost; sends nothing."""
    from userops.dispatch.engine import preflight as run_preflight
    from userops.dispatch.policy import Policy

    with user_errors():
        step = read_step(plan)
        report = run_preflight(store(), step, policy=Policy.load(policy_file), now_ts=now)
    if as_json:
        print_json(report.model_dump())
        return
    from rich.table import Table

    console.print(
        f"[bold]{step.campaign_id}/{step.step_id}[/bold]: {report.total} recipients, "
        f"{report.would_send} send now, {report.deferred} deferred, "
        f"{report.holdout} holdout, cost {report.cost:.2f}"
    )
    table = Table("suppressed because", "messages")
    for reason, n in sorted(report.suppressed.items()):
        table.add_row(reason, str(n))
    console.print(table)
    for ch, n in report.by_channel.items():
        console.print(f"{ch}: {n}")
    for w in report.warnings:
        console.print(f"[yellow]warning[/yellow] {w}", markup=True)


@app.command()
def policy(policy_file: Path | None = PolicyOpt, as_json: bool = JsonOpt) -> None:
    """Show the effective dispatch policy."""
    from userops.dispatch.policy import Policy

    with user_errors():
        data = Policy.load(policy_file).model_dump(mode="json", by_alias=True)
    if as_json:
        print_json(data)
        return
    import yaml

    console.print(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), markup=False)

"""`userops profiles build` and `userops profiles catalog`: compute and describe traits."""

from __future__ import annotations

from datetime import date
from typing import Any

import typer
from rich.table import Table

from userops.cli.common import JsonOpt, console, print_json, store, user_errors
from userops.errors import BadInput


def _parse_day(raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadInput.one("must be a date YYYY-MM-DD", field="--as-of", value=raw) from None


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _table(params: dict[str, Any]) -> Table:
    table = Table(title=f"traits built as of {params['as_of']}: {params['users']} users")
    table.add_column("what")
    table.add_column("value")
    for model in ("bgnbd", "bgnbd_per_week", "gamma_gamma"):
        fit = params.get(model)
        shown = ", ".join(f"{k}={_fmt(v)}" for k, v in fit.items()) if fit else "not fitted"
        table.add_row(model, shown)
    for stage, n in params["lifecycle"].items():
        table.add_row(f"lifecycle {stage}", str(n))
    table.add_row("elapsed_s", str(params["elapsed_s"]))
    return table


def build(
    as_of: str | None = typer.Option(
        None, "--as-of", help="End of this UTC day (YYYY-MM-DD); default: the newest event's day."
    ),
    json: bool = JsonOpt,
) -> None:
    """Compute traits and predictions (BG/NBD, Gamma-Gamma) for every canonical user."""
    with user_errors():
        day = _parse_day(as_of)
        from userops.cdp.traits.build import build_profiles

        engine = store()
        if json:
            result = build_profiles(engine, as_of=day)
            print_json(result.params)
            return
        with console.status("building traits") as status:
            result = build_profiles(
                engine, as_of=day, progress=lambda stage: status.update(f"building traits: {stage}")
            )
        console.print(_table(result.params))

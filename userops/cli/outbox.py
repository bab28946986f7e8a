"""`userops outbox`: Inspect the outbox."""

from __future__ import annotations

import typer

from userops.cli.common import JsonOpt, console, print_json, store, user_errors

app = typer.Typer(help="Inspect the outbox.", no_args_is_help=True)


@app.command()
def status(as_json: bool = JsonOpt) -> None:
    """Counts of outbox rows per state and per channel (and reasons)."""
    from userops.dispatch.outbox import status as outbox_status

    with user_errors():
        data = outbox_status(store())
    if as_json:
        print_json(data)
        return
    from rich.table import Table

    states = sorted(data["by_state"])
    table = Table("channel", *states, title=f"outbox: {data['total']} rows")
    for ch, counts in sorted(data["by_channel"].items()):
        table.add_row(ch, *(str(counts.get(s, 0)) for s in states))
    table.add_row("all", *(str(data["by_state"][s]) for s in states))
    console.print(table)
    for reason, n in sorted(data["by_reason"].items()):
        console.print(f"{reason}: {n}")

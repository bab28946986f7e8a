"""`userops outbox`: Inspect the outbox."""

from __future__ import annotations

import typer

app = typer.Typer(help="Inspect the outbox.", no_args_is_help=True)

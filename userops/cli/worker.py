"""`userops worker`: Run outbox dispatch workers."""

from __future__ import annotations

import typer

app = typer.Typer(help="Run outbox dispatch workers.", no_args_is_help=True)

"""`userops dispatch`: Dispatch pre-flight and policy."""

from __future__ import annotations

import typer

app = typer.Typer(help="Dispatch pre-flight and policy.", no_args_is_help=True)

"""`userops approvals`: Review and decide approval requests."""

from __future__ import annotations

import typer

app = typer.Typer(help="Review and decide approval requests.", no_args_is_help=True)

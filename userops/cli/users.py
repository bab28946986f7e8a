"""`userops users`: Manage people who use userops (roles and tokens)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Manage people who use userops (roles and tokens).", no_args_is_help=True)

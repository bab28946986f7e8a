"""`userops chat`: Chat with the planner (REPL)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Chat with the planner (REPL).")

"""`userops demo`: Run a goal through the whole loop offline and print a report."""

from __future__ import annotations

import typer

app = typer.Typer(help="Run a goal through the whole loop offline and print a report.")

"""`userops seed`: Generate a deterministic omni-channel sample population."""

from __future__ import annotations

import typer

app = typer.Typer(help="Generate a deterministic omni-channel sample population.")


@app.command("seed")
def seed_cmd() -> None:
    """Generate a sample population (being built)."""
    raise typer.Exit(2)

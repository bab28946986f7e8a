"""`userops import`: Import users, events, consents and transactions (CSV, JSONL, CDNOW)."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Import users, events, consents and transactions (CSV, JSONL, CDNOW).",
    no_args_is_help=True,
)

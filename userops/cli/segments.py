"""`userops segments`: Preview audience segments (SegmentSpec JSON)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Preview audience segments (SegmentSpec JSON).", no_args_is_help=True)

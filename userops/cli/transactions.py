"""`userops import transactions`: import purchase transactions (CDNOW format)."""

from __future__ import annotations

from pathlib import Path

import typer

from userops.cli.common import JsonOpt, console, print_json, store, user_errors
from userops.errors import BadInput

FORMATS = ("cdnow",)


def transactions(
    file: Path = typer.Argument(..., help="Transaction file to import."),
    format: str = typer.Option(
        "cdnow",
        "--format",
        help="File format: cdnow = whitespace-separated customer id, [sample id,] "
        "yyyymmdd date, quantity, amount.",
    ),
    json: bool = JsonOpt,
) -> None:
    """Import purchase transactions as order events (all rows or nothing; re-import is a no-op)."""
    with user_errors():
        if format not in FORMATS:
            raise BadInput.one(
                f"unknown format; valid: {', '.join(FORMATS)}", field="--format", value=format
            )
        if not file.is_file():
            raise BadInput.one("no such file", field="FILE", value=str(file))
        from userops.cdp.ingest.cdnow import import_cdnow

        result = import_cdnow(store(), file)
        if json:
            print_json(result.as_dict())
            return
        console.print(
            f"{result.path}: {result.rows} rows, {result.inserted} new orders, "
            f"{result.unchanged} already stored; {result.extra['customers']} customers "
            f"({result.extra['users_created']} new users)"
        )

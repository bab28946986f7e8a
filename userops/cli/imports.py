"""`userops import`: Import users, events, consents and transactions (CSV, JSONL, CDNOW)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from userops.cli.common import JsonOpt, console, fail, print_json, store, user_errors
from userops.cli.transactions import transactions

app = typer.Typer(
    help="Import users, events, consents and transactions (CSV, JSONL, CDNOW).",
    no_args_is_help=True,
)

FileArg = typer.Argument(..., help="CSV (header on line 1) or JSONL file.", show_default=False)
MapOpt = typer.Option(
    [], "--map", help="Rename a file column: SOURCE=TARGET (repeatable), e.g. mobile=phone."
)
FormatOpt = typer.Option(None, "--format", help="csv or jsonl (default: from the suffix).")
BAR_MIN_ROWS = 50_000


def _import(kind: str, path: Path, mapping: list[str], fmt: str | None, as_json: bool) -> None:
    """Run one import and print its summary (problems go to stderr, exit 1)."""
    from userops.cdp.ingest.importer import import_file
    from userops.cdp.ingest.readers import parse_mapping

    try:
        renames = parse_mapping(mapping)
    except ValueError as exc:
        fail(f"error: {exc}", 2)
    with user_errors():
        engine = store()
        rows = _count_rows(path)
        if as_json or rows < BAR_MIN_ROWS:
            result = import_file(engine, kind, path, mapping=renames, fmt=fmt)
        else:
            from rich.progress import Progress

            with Progress(console=console, transient=True) as bar:
                task = bar.add_task(f"import {kind}", total=rows)
                result = import_file(
                    engine,
                    kind,
                    path,
                    mapping=renames,
                    fmt=fmt,
                    progress=lambda n: bar.advance(task, n),
                )
    data = result.as_dict()
    if as_json:
        print_json(data)
        return
    _summary(data)


def _count_rows(path: Path) -> int:
    """Approximate the number of data rows (lines) for the progress bar."""
    if not path.is_file():
        return 0
    n = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
    return n


def _summary(data: dict[str, Any]) -> None:
    console.print(
        f"{data['kind']}: {data['rows']} rows read from {data['path']} — "
        f"{data['inserted']} inserted, {data['updated']} updated, "
        f"{data['unchanged']} unchanged",
        highlight=False,
        soft_wrap=True,
    )
    if data["kind"] == "users":
        console.print(f"identity merges: {data['merges']}", highlight=False, soft_wrap=True)
    for note in data["extra"].get("erased_notes", []):
        console.print(note, markup=False, highlight=False, soft_wrap=True)
    if data["ignored_columns"]:
        console.print(
            f"ignored columns: {', '.join(data['ignored_columns'])}",
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def users(
    path: Path = FileArg,
    mapping: list[str] = MapOpt,
    fmt: str | None = FormatOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Import user records; records sharing a phone/email/openid/device id are merged."""
    _import("users", path, mapping, fmt, as_json)


@app.command()
def events(
    path: Path = FileArg,
    mapping: list[str] = MapOpt,
    fmt: str | None = FormatOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Import events (orders, visits, messages...) of already imported users."""
    _import("events", path, mapping, fmt, as_json)


@app.command()
def consents(
    path: Path = FileArg,
    mapping: list[str] = MapOpt,
    fmt: str | None = FormatOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Import per-channel consents (granted/withdrawn); the newer timestamp wins."""
    _import("consents", path, mapping, fmt, as_json)


app.command("transactions")(transactions)

"""`userops sources`: Senders of real-time events and their write keys (docs/ingest.md)."""

from __future__ import annotations

import typer

from userops.cli.common import JsonOpt, console, print_json, store, user_errors

app = typer.Typer(
    help="Senders of real-time events (Segment-compatible HTTP API) and their write keys.",
    no_args_is_help=True,
)


@app.command("add")
def add(
    name: str = typer.Argument(..., help="Source name: a-z, 0-9, '_', '.', '-'; up to 32."),
    touchpoint: str | None = typer.Option(
        None, "--touchpoint", help="users.source of records it creates: app, web, miniprogram..."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Add a source; print its write key once (only its hash is stored)."""
    from userops.cdp.stream.sources import add_source

    with user_errors():
        info, key = add_source(store(), name, touchpoint)
    if as_json:
        print_json({"source": info.name, "write_key": key, "touchpoint": info.touchpoint})
        return
    console.print(f"added source {info.name}; write key (shown once, keep it safe):")
    console.print(key, markup=False, highlight=False)


@app.command("list")
def list_(as_json: bool = JsonOpt) -> None:
    """List sources (never their keys)."""
    from rich.table import Table

    from userops.cdp.stream.sources import list_sources

    with user_errors():
        found = list_sources(store())
    if as_json:
        print_json([s.to_dict() for s in found])
        return
    table = Table("id", "name", "touchpoint", "created", "revoked")
    for s in found:
        revoked = "" if s.revoked_at is None else s.revoked_at.isoformat(timespec="seconds")
        created = s.created_at.isoformat(timespec="seconds")
        table.add_row(str(s.id), s.name, s.touchpoint or "", created, revoked)
    console.print(table)


@app.command("revoke")
def revoke(
    name: str = typer.Argument(..., help="The source whose write key stops working."),
    as_json: bool = JsonOpt,
) -> None:
    """Revoke a source's write key for good (every worker refuses it within 2 seconds)."""
    from userops.cdp.stream.sources import revoke_source

    with user_errors():
        info = revoke_source(store(), name)
    if as_json:
        print_json(info.to_dict())
        return
    console.print(f"revoked source {info.name}")

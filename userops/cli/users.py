"""`userops users`: Manage people who use userops (roles and tokens)."""

from __future__ import annotations

import typer

from userops.cli.common import JsonOpt, console, print_json, store, user_errors

app = typer.Typer(help="Manage people who use userops (roles and tokens).", no_args_is_help=True)


@app.command("add")
def add(
    name: str = typer.Argument(..., help="Account name (the approver/operator identity)."),
    role: str = typer.Option(..., "--role", help="operator, approver or admin."),
    as_json: bool = JsonOpt,
) -> None:
    """Add a user with a role; print their token once (only its hash is stored)."""
    from userops.accounts import add_user

    with user_errors():
        info, token = add_user(store(), name, role)
    if as_json:
        print_json({"id": info.id, "name": info.name, "role": info.role, "token": token})
        return
    console.print(f"added {info.name} ({info.role}); token (shown once, keep it safe):")
    console.print(token, markup=False, highlight=False)


@app.command("list")
def list_(as_json: bool = JsonOpt) -> None:
    """List users and their roles."""
    from rich.table import Table

    from userops.accounts import list_users

    with user_errors():
        users = list_users(store())
    if as_json:
        print_json([u.__dict__ for u in users])
        return
    table = Table("id", "name", "role", "disabled")
    for u in users:
        table.add_row(str(u.id), u.name, u.role, "yes" if u.disabled else "")
    console.print(table)

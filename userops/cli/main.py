"""Entry point of the ``userops`` command: composes the sub-apps."""

from __future__ import annotations

import typer

from userops.cli import (
    approvals,
    chat,
    demo,
    dispatch,
    eval,
    imports,
    journeys,
    outbox,
    privacy,
    profiles,
    seed,
    segments,
    serve,
    sources,
    threads,
    users,
    worker,
)

app = typer.Typer(
    name="userops",
    help="userops — LLM agents for omni-channel user operations (全域用户运营).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

app.add_typer(imports.app, name="import")
app.add_typer(profiles.app, name="profiles")
app.add_typer(segments.app, name="segments")
app.add_typer(dispatch.app, name="dispatch")
app.add_typer(worker.app, name="worker")
app.add_typer(outbox.app, name="outbox")
app.add_typer(approvals.app, name="approvals")
app.add_typer(users.app, name="users")
app.add_typer(threads.app, name="threads")
app.add_typer(sources.app, name="sources")
app.add_typer(journeys.app, name="journeys")
app.add_typer(privacy.app, name="privacy")
# top-level commands (seed, demo, chat): each module's Typer adds its commands directly
app.add_typer(seed.app)
app.add_typer(demo.app)
app.add_typer(chat.app)
app.add_typer(eval.app)
app.add_typer(serve.app)


@app.command()
def version() -> None:
    """Print the userops version."""
    from userops import __version__

    typer.echo(__version__)


if __name__ == "__main__":  # pragma: no cover
    app()

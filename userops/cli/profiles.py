"""`userops profiles`: Build traits and predictions; show one profile; search summaries."""

from __future__ import annotations

import typer

from userops.cli.profiles_build import build
from userops.cli.profiles_search import index, search, summarize
from userops.cli.profiles_show import show

app = typer.Typer(
    help="Build traits and predictions; show one profile; search profile summaries.",
    no_args_is_help=True,
)
app.command("build")(build)
app.command("show")(show)
app.command("summarize")(summarize)
app.command("index")(index)
app.command("search")(search)

"""`userops profiles`: Build traits and predictions; search profile summaries."""

from __future__ import annotations

import typer

from userops.cli.profiles_build import build
from userops.cli.profiles_search import index, search, summarize

app = typer.Typer(
    help="Build traits and predictions; search profile summaries.", no_args_is_help=True
)
app.command("build")(build)
app.command("summarize")(summarize)
app.command("index")(index)
app.command("search")(search)

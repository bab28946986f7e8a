"""`userops profiles summarize|index|search`: profile summaries and semantic search."""

from __future__ import annotations

from typing import Any

import typer

from userops.cli.common import JsonOpt, console, print_json, store, user_errors


def _searcher(engine: Any, rebuild: bool = False) -> Any:
    from userops.cdp.search.index import ProfileSearch
    from userops.settings import get_settings

    return ProfileSearch(engine, get_settings(), rebuild=rebuild)


def summarize(json: bool = JsonOpt) -> None:
    """Render the profile summaries from the traits (only changed ones are written)."""
    with user_errors():
        from userops.cdp.search.summaries import build_summaries

        changed = build_summaries(store())
        if json:
            print_json({"changed": changed})
        else:
            console.print(f"{changed} summaries changed")


def index(
    rebuild: bool = typer.Option(
        False, "--rebuild", help="Drop the index and embed every summary again."
    ),
    json: bool = JsonOpt,
) -> None:
    """Summarize, then embed and index the summaries that changed since the last index."""
    import time

    with user_errors():
        from userops.cdp.search.summaries import build_summaries

        engine = store()
        t0 = time.perf_counter()
        changed = build_summaries(engine)
        ps = _searcher(engine, rebuild=rebuild)
        if json:
            indexed = ps.index_changed()
        else:
            with console.status("indexing summaries") as status:
                total = [0]

                def tick(n: int) -> None:
                    total[0] += n
                    status.update(f"indexing summaries: {total[0]}")

                indexed = ps.index_changed(progress=tick)
        out = {
            "summaries_changed": changed,
            "indexed": indexed,
            "pruned": ps.prune(),
            "documents": ps.count(),
            "embedding": "+".join(ps.kinds),
            "elapsed_s": round(time.perf_counter() - t0, 2),
        }
        if json:
            print_json(out)
        else:
            console.print(", ".join(f"{k} {v}" for k, v in out.items()))


def search(
    text: str = typer.Argument(..., help="What to look for, in Chinese or English."),
    k: int = typer.Option(10, "-k", "--top", min=1, max=1000, help="How many profiles."),
    where: str | None = typer.Option(
        None, "--where", help="Only inside this segment: SegmentSpec JSON or @FILE."
    ),
    json: bool = JsonOpt,
) -> None:
    """Find the profiles whose summaries are closest to TEXT (no contact data shown)."""
    with user_errors():
        spec = None
        if where is not None:
            from userops.cdp.segments.service import parse_spec
            from userops.cli.segments import _read_spec

            raw, source = _read_spec(where)
            spec = parse_spec(raw, source=source)
        hits = _searcher(store()).search(text, k, where=spec)
        if json:
            print_json([h.model_dump() for h in hits])
            return
        from rich.table import Table

        table = Table("user", "score", "summary")
        for h in hits:
            table.add_row(str(h.user_id), f"{h.score:.3f}", h.summary)
        console.print(table)

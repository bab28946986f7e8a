"""`userops segments`: Preview audience segments (SegmentSpec JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from userops.cli.common import JsonOpt, console, print_json, store, user_errors

app = typer.Typer(help="Preview audience segments (SegmentSpec JSON).", no_args_is_help=True)


def _read_spec(spec: str) -> tuple[str, str]:
    """Return ``(text, source)`` of a spec given inline or as ``@FILE``."""
    from userops.errors import BadInput

    if not spec.startswith("@"):
        return spec, "spec"
    path = Path(spec[1:])
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except OSError as exc:
        raise BadInput.one(f"cannot read the spec file: {exc.strerror}", source=str(path)) from None


def _print_summary(data: dict[str, Any]) -> None:
    from rich.table import Table

    console.print(f"[bold]Segment size:[/bold] {data['size']}")
    churn, ltv = data["mean_churn_risk"], data["mean_ltv_12m"]
    if churn is not None:
        console.print(f"mean churn risk {churn:.3f}   mean 12-month LTV {ltv:.2f}")
    now = data.get("reachable_now")
    table = Table("channel", "reachable", *(["reachable now"] if now else []))
    for ch, n in data["reachable"].items():
        table.add_row(ch, str(n), *([str(now[ch])] if now else []))
    console.print(table)
    for group, counts in data["distributions"].items():
        top = list(counts.items())[:10]
        console.print(f"[bold]{group}[/bold]: " + ", ".join(f"{k} {v}" for k, v in top))
    for sample in data["samples"]:
        console.print(f"- [{sample['lifecycle_stage']}/{sample['ltv_tier']}] {sample['summary']}")
    for o in data["overlap"]:
        console.print(f"overlap with {o['campaign_id']} ({o['status']}): {o['users']}")


@app.command()
def preview(
    spec: str = typer.Argument(..., help="SegmentSpec JSON, or @FILE to read it from a file."),
    verify_reach: bool = typer.Option(
        False, "--verify-reach", help="Re-check reach against current consents and do-not-contact."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Preview a segment: size, reach per channel, distributions, anonymized samples."""
    from userops.cdp.segments.service import parse_spec, preview_segment

    with user_errors():
        text, source = _read_spec(spec)
        parsed = parse_spec(text, source=source)
        searcher = _searcher() if parsed.search else None
        summary = preview_segment(store(), parsed, searcher=searcher, verify_reach=verify_reach)
    data = summary.model_dump(mode="json")
    if as_json:
        print_json(data)
    else:
        _print_summary(data)


def _searcher() -> Any:
    """Return the profile searcher's ``search_ids``."""
    from userops.cdp.search.index import ProfileSearch
    from userops.settings import get_settings

    return ProfileSearch(store(), get_settings()).search_ids


@app.command()
def catalog(as_json: bool = JsonOpt) -> None:
    """List the trait fields a segment can filter on, with types and allowed values."""
    from rich.table import Table

    from userops.cdp.traits.catalog import catalog_as_dict

    data = catalog_as_dict()
    if as_json:
        print_json(data)
        return
    table = Table("field", "type", "operators", "values", "description")
    for name, f in data.items():
        table.add_row(
            name, f["type"], " ".join(f["ops"]), ", ".join(f.get("values", [])), f["description"]
        )
    console.print(table)

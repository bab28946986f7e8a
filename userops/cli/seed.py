"""`userops seed`: Generate a deterministic omni-channel sample population."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer

from userops.cli.common import JsonOpt, console, print_json, store, user_errors

app = typer.Typer(help="Generate a deterministic omni-channel sample population.")

_STAGES = {"generate": "generating", "index": "building indexes", "resolve": "resolving identities"}


def _as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    from userops.errors import BadInput

    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput.one("not an ISO-8601 date", field="--as-of", value=value) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


@app.command("seed")
def seed_cmd(
    users: int = typer.Option(10_000, "--users", "-n", help="Number of persons to generate."),
    seed: int = typer.Option(42, "--seed", help="Random seed; same inputs give identical rows."),
    language: str = typer.Option("zh", "--language", "-l", help="Population language: zh or en."),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="End of the generated history (ISO date, UTC). Default 2026-11-01, fixed so "
        "that the output never depends on the clock.",
    ),
    replace: bool = typer.Option(
        False,
        "--replace",
        help="The store must be empty unless this is given; then the existing population "
        "(users, identities, merges, consents, events, traits) is deleted and replaced in one "
        "transaction. Refused once campaigns have members or messages.",
    ),
    json_out: bool = JsonOpt,
) -> None:
    """Generate a sample population, then resolve identities.

    Persons get app/web/mini-program/WeChat/store records, consents, orders, browsing,
    message history, feedback (some with prompt-injection text) and hidden sandbox
    propensities. Same --users/--seed/--language/--as-of always give identical rows.
    """
    with user_errors():
        from userops.cdp.sample.population import seed_population

        when = _as_of(as_of)
        engine = store()
        if json_out:
            result = seed_population(
                engine, users=users, seed=seed, language=language, as_of=when, replace=replace
            )
            print_json(result.as_dict())
            return
        result = _with_progress(engine, users, seed, language, when, replace)
        _print_result(result.as_dict())


def _with_progress(
    engine: Any, users: int, seed: int, language: str, when: datetime | None, replace: bool
) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from userops.cdp.sample.population import seed_population

    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("generating", total=users)

        def report(stage: str, done: int, total: int) -> None:
            bar.update(task, description=_STAGES.get(stage, stage), total=total, completed=done)

        return seed_population(
            engine,
            users=users,
            seed=seed,
            language=language,
            as_of=when,
            progress=report,
            replace=replace,
        )


def _print_result(data: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"seeded {data['language']} population (seed {data['seed']})")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in ("users", "records", "identities", "consents", "events"):
        table.add_row(key, f"{data[key]:,}")
    for name, count in sorted(data["events_by_type"].items()):
        table.add_row(f"  {name}", f"{count:,}")
    table.add_row("identity merges", f"{data['merges']:,}")
    console.print(table)
    console.print(
        f"as of {data['as_of']}; {data['elapsed_s']} s "
        f"(load {data['load_s']} s, identity resolution {data['resolve_s']} s)"
    )

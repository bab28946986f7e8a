"""`userops worker`: Run outbox dispatch workers."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import typer

from userops.cli.common import JsonOpt, console, err_console, print_json, store, user_errors

app = typer.Typer(help="Run outbox dispatch workers.", no_args_is_help=True)
log = logging.getLogger(__name__)
STORE_RETRIES = 5
"""Store failures in a row that ``--until-idle`` / ``--once`` ride out before giving up."""


def _catch_up_traits(engine: Any, *, quiet: bool) -> None:
    """Apply the trait updates a killed ``serve`` left due (docs/traits.md); never fatal."""
    from userops.cdp.traits.due import catch_up

    try:
        done = catch_up(engine)
    except Exception as exc:  # the outbox must not wait on a trait update
        log.exception("trait catch-up failed (the marks stay for the next one)")
        err_console.print(f"[yellow]trait catch-up failed, marks kept: {exc}[/yellow]")
        return
    if done.marks and not quiet:
        console.print(f"traits caught up: {done.records} records, {done.users} trait rows")


@app.command()
def run(
    once: bool = typer.Option(False, "--once", help="Process one batch and stop."),
    until_idle: bool = typer.Option(False, "--until-idle", help="Stop when nothing is due."),
    channels: str | None = typer.Option(None, "--channels", help="Comma-separated channels."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Rows claimed per batch."),
    policy_file: Path | None = typer.Option(None, "--policy", help="Policy YAML."),
    channel_config: Path | None = typer.Option(
        None, "--channel-config", help="Channel providers YAML (docs/channels.md)."
    ),
    journeys: bool = typer.Option(
        True, "--journeys/--no-journeys", help="Also advance the approved journeys."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Process the outbox with the sandbox adapters until stopped (Ctrl-C), with progress.

    Before each outbox batch the worker also advances the approved journeys (entries,
    timers, sends through the same engine; docs/journeys.md) unless --no-journeys.

    A store failure that may pass (disk full, database locked, connection lost) is ridden
    out: the worker backs off (doubling, at most a minute) and retries, taking back the
    rows of the failed batch; with --until-idle or --once it gives up after a few tries.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from userops.dispatch.policy import Policy
    from userops.dispatch.worker import Worker

    chans = [c.strip() for c in channels.split(",") if c.strip()] if channels else None
    with user_errors():
        engine = store()
        _catch_up_traits(engine, quiet=as_json)
        policy = Policy.load(policy_file)
        adapters = None
        if channel_config is not None:
            from userops.dispatch.adapters.registry import build_adapters, load_channel_config

            config = load_channel_config(channel_config)
            adapters = build_adapters(config, engine, policy=policy, source=str(channel_config))
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            disable=as_json,
            transient=as_json,
        ) as bar:
            task = bar.add_task("starting", total=None)

            def show(stats: dict[str, int]) -> None:
                desc = "  ".join(f"{k} {v}" for k, v in sorted(stats.items()) if v)
                bar.update(task, description=desc)

            from userops.journeys.runner import JourneyRunner

            runner = JourneyRunner(engine, policy=policy, batch_size=batch_size)
            worker = Worker(
                engine,
                adapters,
                policy=policy,
                channels=chans,
                batch_size=batch_size,
                progress=show,
                tick=runner.tick if journeys else None,
            )
            try:
                stats = worker.run(
                    stop_when_idle=until_idle or once,
                    max_batches=1 if once else None,
                    store_retries=STORE_RETRIES if until_idle or once else None,
                )
            except KeyboardInterrupt:
                stats = worker.stats
            finally:
                asyncio.run(worker.aclose())
    summary = {k: int(v) for k, v in sorted(stats.items())}
    if as_json:
        print_json(summary)
    else:
        console.print("worker stopped: " + ", ".join(f"{k} {v}" for k, v in summary.items()))

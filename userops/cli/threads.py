"""`userops threads`: Look after agent threads (finish runs a killed process left behind)."""

from __future__ import annotations

import typer

from userops.cli.common import JsonOpt, console, print_json, store, user_errors

app = typer.Typer(help="Look after agent threads.", no_args_is_help=True)


@app.command("recover")
def recover(as_json: bool = JsonOpt) -> None:
    """Resume approved threads whose run was cut off (e.g. a killed process mid-dispatch).

    Threads running elsewhere (their lock is held) are skipped. Exits 1 if one failed.
    """
    from agents.runtime.recovery import recover as sweep
    from agents.runtime.threads import open_runtime

    with user_errors(), open_runtime(engine=store()) as rt:
        done = sweep(rt)
    if as_json:
        print_json([r.to_dict() for r in done])
    elif not done:
        console.print("nothing to recover")
    for r in done if not as_json else []:
        line = f"{r.thread_id} ({r.approval_id}): {r.outcome}"
        if r.outcome == "resumed":
            line += f" from {', '.join(r.pending)} -> {r.status}"
        if r.error:
            line += f": {r.error}"
        console.print(line, markup=False)
    if any(r.outcome == "failed" for r in done):
        raise typer.Exit(1)

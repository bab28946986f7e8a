"""`userops privacy`: Data-subject requests: export or erase one person (docs/privacy.md)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import typer

from userops.cli.approvals import AsOpt, actor_name
from userops.cli.common import JsonOpt, console, fail, print_json, store, user_errors

app = typer.Typer(
    help="Data-subject requests (PIPL / GDPR): export or erase everything held about a person.",
    no_args_is_help=True,
)

MAX_ID = 2**63 - 1
UserIdArg = typer.Argument(
    ..., min=1, max=MAX_ID, help="Any user record id of the person (merged records included)."
)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by the owner only (personal data)."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@app.command("export")
def export(
    user_id: int = UserIdArg,
    out: Path | None = typer.Option(
        None, "--out", help="Write the JSON document here (mode 0600); default: stdout."
    ),
    as_: str | None = AsOpt,
    as_json: bool = typer.Option(
        False, "--json", help="With --out: print a JSON summary (counts per section)."
    ),
) -> None:
    """Write everything held about one person as one JSON document."""
    from userops.cdp.dsr.export import dumps, export_person, summary

    if as_json and out is None:
        fail("error: --json prints a summary of the file; give --out FILE", 2)
    with user_errors():
        doc = export_person(store(), user_id, actor=actor_name(as_))
    text = dumps(doc)
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        _write_private(out, text)
    except OSError as exc:
        fail(f"error: {out}: cannot write the export: {exc.strerror or exc}")
    info = summary(doc)
    if as_json:
        print_json({**info, "out": str(out)})
        return
    total = sum(info["counts"].values())
    console.print(
        f"exported user {info['canonical_id']} ({len(info['record_ids'])} records, "
        f"{total} rows and mentions) to {out}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("erase")
def erase(
    user_id: int = UserIdArg,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    as_: str | None = AsOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Erase one person everywhere (store, search index, checkpoints); idempotent."""
    from agents.runtime.checkpoint import checkpoint_url
    from agents.runtime.checkpoint_scrub import url_step
    from userops.cdp.dsr.erase import erase_person
    from userops.cdp.dsr.index import index_step
    from userops.settings import get_settings

    if not yes:
        typer.confirm(
            f"Erase user {user_id} and every record merged with it, for good?", abort=True
        )
    with user_errors():
        engine = store()
        settings = get_settings()
        steps = [index_step(engine, settings), url_step(engine, checkpoint_url(settings))]
        result = erase_person(engine, user_id, actor_name(as_), outside=steps)
    data = result.as_dict()
    if as_json:
        print_json(data)
        return
    if result.status == "already_erased":
        console.print(f"user {user_id} was already erased (erasure {result.erasure_id})")
        return
    removed = sum(result.removed.values())
    kept = sum(result.anonymised.values())
    console.print(
        f"erased user {user_id}: {result.records} records, {removed} rows deleted, {kept} "
        f"message rows anonymised, {sum(result.scrubbed.values())} rows scrubbed, "
        f"{result.outside.get('index_documents', 0)} index documents and "
        f"{result.outside.get('checkpoint_threads', 0)} checkpoint threads cleaned "
        f"(erasure {result.erasure_id})",
        highlight=False,
        soft_wrap=True,
    )

"""``import_file``: validate a whole CSV/JSONL file, then write it in one transaction.

If any row is bad nothing is written and :class:`~userops.errors.BadInput` lists every
problem as ``FILE:LINE field=value: reason`` (``total`` counts them all). Re-importing the
same file changes nothing. See ``docs/import.md`` for formats and columns.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine

from userops.cdp.dsr.notice import erased_notes
from userops.cdp.ingest import consents as import_consents
from userops.cdp.ingest import consents_sql, events_sql, users_sql
from userops.cdp.ingest import events as import_events
from userops.cdp.ingest import users as import_users
from userops.cdp.ingest.file_checks import nul_problems, utf8_problem
from userops.cdp.ingest.readers import Reader, detect_format
from userops.cdp.ingest.rows import Counts, Field, Progress, Ticker, map_users, paused_gc
from userops.errors import BadInput, Problem
from userops.store.sqlite_stage import foreign_keys_off

Kind = Literal["users", "events", "consents"]
KINDS: dict[str, dict[str, Field]] = {
    "users": import_users.FIELDS,
    "events": import_events.FIELDS,
    "consents": import_consents.FIELDS,
}
"""Importable kinds and their columns."""
SHOWN = 50
SCOPED_RESOLVE_MAX = 20_000
"""Users imports up to this size resolve only the groups they reach; larger ones resolve all."""


@dataclass
class ImportResult:
    """Summary of one successful import."""

    kind: str
    """``users``, ``events`` or ``consents``."""
    path: str
    """The imported file."""
    format: str
    """``csv`` or ``jsonl``."""
    rows: int
    """Data rows read."""
    inserted: int
    """Rows that created new records."""
    updated: int
    """Rows that changed stored records."""
    unchanged: int
    """Rows already stored as in the file (a re-import has only these)."""
    merges: int = 0
    """Identity merges made at the end of a users import."""
    ignored_columns: list[str] = field(default_factory=list)
    """Columns of the file that this kind does not use."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Kind-specific numbers."""

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


def import_file(
    engine: Engine,
    kind: Kind | str,
    path: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    fmt: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate every row of ``path`` and import it all, or raise ``BadInput`` and write nothing.

    Args:
        engine: The store.
        kind: ``users``, ``events`` or ``consents``.
        path: A CSV file (header on line 1) or a JSONL file (one object per line).
        mapping: ``{file column: userops column}`` renames, e.g. ``{"mobile": "phone"}``.
        fmt: ``csv`` or ``jsonl``; default from the suffix (``.jsonl``/``.ndjson`` or CSV).
        progress: Called with the number of rows just read, every 10,000 rows.

    Returns:
        What was read and written.

    Raises:
        BadInput: the kind, mapping, file or any row is invalid, the file is not UTF-8 or
            holds a NUL (``FILE:LINE``; nothing is written).
    """
    if kind not in KINDS:
        raise BadInput.one(
            f"unknown import kind; expected one of: {', '.join(KINDS)}", field="kind", value=kind
        )
    fields = KINDS[kind]
    path = Path(path)
    _check_args(path, fields, mapping or {})
    try:
        fmt = detect_format(path, fmt)
    except ValueError as exc:
        raise BadInput.one(str(exc), field="format", value=fmt) from None
    required = tuple(k for k, f in fields.items() if f.required)
    reader = Reader(path, fmt, mapping or {}, tuple(fields), required)
    ticker = Ticker(progress)
    nul = nul_problems(path, reader.name)
    if nul:
        raise BadInput(nul)
    try:
        if kind == "users":
            counts, rows = _run_users(engine, reader, ticker)
        else:
            counts, rows = _run_staged(engine, kind, reader, ticker)
    except UnicodeDecodeError:
        raise BadInput([utf8_problem(path, reader.name)]) from None
    return ImportResult(
        kind=kind,
        path=str(path),
        format=fmt,
        rows=rows,
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        merges=counts.merges,
        ignored_columns=reader.ignored,
        extra=counts.extra,
    )


def _check_args(path: Path, fields: dict[str, Field], mapping: dict[str, str]) -> None:
    problems = [
        Problem(
            f"unknown column; expected one of: {', '.join(fields)}",
            field="--map",
            value=f"{src}={dst}",
        )
        for src, dst in mapping.items()
        if dst not in fields
    ]
    if not path.is_file():
        problems.append(Problem("file not found", source=str(path)))
    if problems:
        raise BadInput(problems)


def _run_users(engine: Engine, reader: Reader, ticker: Ticker) -> tuple[Counts, int]:
    """Parse and validate the whole file (staging it meanwhile), then write it in one go."""
    from userops.cdp.identity.resolve import resolve_in

    with paused_gc(), users_sql.STAGE.scratch(engine) as scratch:
        users = import_users.parse(reader, ticker, scratch)
        _raise_if_bad(reader)
        scoped = users.table.num_rows <= SCOPED_RESOLVE_MAX
        with engine.connect() as conn, scratch.attached(conn), foreign_keys_off(conn):
            with conn.begin():  # identities point to users of this transaction: they exist
                counts = import_users.write(conn, users, with_ids=scoped)
                counts.extra.update(erased_notes(conn, users.table, users.lines, reader.name))
                scope = counts.user_ids if scoped else None
                counts.merges = resolve_in(conn, user_ids=scope, actor="import")
    return counts, users.rows


def _run_staged(engine: Engine, kind: str, reader: Reader, ticker: Ticker) -> tuple[Counts, int]:
    """Events and consents: parse and validate the whole file, then map users and write.

    The file is staged while it is parsed; the users are mapped and the records written in
    one transaction.
    """
    mod, sql = (import_events, events_sql) if kind == "events" else (import_consents, consents_sql)
    with paused_gc(), sql.STAGE.scratch(engine) as scratch:
        parsed = mod.parse(reader, ticker, scratch)
        with engine.connect() as conn, scratch.attached(conn), foreign_keys_off(conn):
            with conn.begin():  # user ids come from the join in map_users: they exist
                reader.problems += map_users(
                    conn, sql.STAGE, parsed.table, parsed.lines, reader.name
                )
                _raise_if_bad(reader)
                if kind == "events":
                    return import_events.write(conn, parsed, reader.name), parsed.rows
                return import_consents.write(conn, parsed, reader.name), parsed.rows


def _raise_if_bad(reader: Reader) -> None:
    problems = reader.problems
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise BadInput(problems[:SHOWN], total=len(problems))

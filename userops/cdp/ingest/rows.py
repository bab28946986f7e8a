"""Shared machinery of the importers: row checking against a field table, user mapping."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pyarrow as pa
from sqlalchemy import Connection, text

from userops.cdp.ingest.validate import Validator
from userops.errors import Problem
from userops.store.staging import StagingTable

T = TypeVar("T")
CHUNK = 5000
PROGRESS_EVERY = 10_000

Progress = Callable[[int], None]
"""Called with the number of rows just processed (an advance, not a total)."""


@dataclass(frozen=True)
class Field:
    """One importable column: its validator and whether a value is required."""

    check: Validator
    """Normalizes the raw value or raises ``ValueError(reason)``."""
    required: bool = False
    """A row without a value in this column is a bad row."""


@dataclass
class Counts:
    """What a write did."""

    inserted: int = 0
    """Rows that created something new."""
    updated: int = 0
    """Rows that changed something stored."""
    unchanged: int = 0
    """Rows already stored exactly as in the file."""
    merges: int = 0
    """Identity merges made by the resolution run at the end (users only)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Kind-specific numbers (identities written, audit rows...)."""
    user_ids: list[int] = field(default_factory=list)
    """Records the write touched (users only; scope of identity resolution)."""


class RowChecker:
    """Validates rows against a field table, compiled once per set of columns present.

    Missing and empty values are left out of the result (they never erase stored data).
    """

    def __init__(self, fields: dict[str, Field], source: str, problems: list[Problem]) -> None:
        self.fields = fields
        self.source = source
        self.problems = problems
        self.required = frozenset(k for k, f in fields.items() if f.required)
        self._plans: dict[tuple[str, ...], tuple[list[tuple[str, Validator]], list[str]]] = {}

    def _plan(self, keys: tuple[str, ...]) -> tuple[list[tuple[str, Validator]], list[str]]:
        plan = self._plans.get(keys)
        if plan is None:
            present = [(k, f.check) for k, f in self.fields.items() if k in keys]
            missing = [k for k in self.fields if k in self.required and k not in keys]
            plan = self._plans[keys] = (present, missing)
        return plan

    def __call__(self, row: dict[str, Any], line: int) -> dict[str, Any] | None:
        """Return the normalized values of ``row``, or None after recording its problems."""
        present, missing = self._plan(tuple(row))
        out: dict[str, Any] = {}
        ok = not missing
        for name, check in present:
            raw = row[name]
            if raw == "" or raw is None:
                if name in self.required:
                    self._missing(name, line)
                    ok = False
                continue
            try:
                out[name] = check(raw)
            except ValueError as exc:
                self.problems.append(
                    Problem(str(exc), field=name, value=raw, source=self.source, line=line)
                )
                ok = False
                continue
            if out[name] == "" and name in self.required:  # blank once trimmed: still missing
                self._missing(name, line, raw)
                ok = False
        for name in missing:
            self._missing(name, line)
        return out if ok else None

    def _missing(self, name: str, line: int, raw: Any = "") -> None:
        self.problems.append(
            Problem(
                "required value is missing", field=name, value=raw, source=self.source, line=line
            )
        )


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while bulk work allocates millions of tuples.

    Row tuples hold no reference cycles; without the pause, collections triggered by the
    allocations keep re-scanning every live record (a third of the parse time).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def chunks(seq: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Yield consecutive slices of ``seq`` of at most ``size`` items."""
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def map_users(
    conn: Connection, stage: StagingTable, table: pa.Table, lines: list[int], source: str
) -> list[Problem]:
    """Stage ``table`` (PostgreSQL) and map its external user ids to store ids, in SQL.

    ``stage`` has a ``user_ext`` column. Every record of a user the store does not know
    becomes a located problem (``lines`` gives each record's line).
    """
    stage.fill(conn, table)
    staged = stage.name
    match = f"SELECT u.id FROM users u WHERE u.external_id = {staged}.user_ext"
    conn.execute(text(f"UPDATE {staged} SET user_id = ({match})"))
    unknown = conn.execute(
        text(f"SELECT pos, user_ext FROM {staged} WHERE user_id IS NULL ORDER BY pos")
    )
    return [
        Problem(
            "unknown user (import users first)",
            field="user_id",
            value=ext,
            source=source,
            line=lines[int(pos) - 1],
        )
        for pos, ext in unknown
    ]


class Ticker:
    """Reports progress every ``PROGRESS_EVERY`` rows (and the remainder on ``flush``)."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.pending = 0

    def tick(self) -> None:
        """Count one row."""
        if self.progress is None:
            return
        self.pending += 1
        if self.pending >= PROGRESS_EVERY:
            self.flush()

    def advance(self, n: int) -> None:
        """Count ``n`` rows."""
        if self.progress is None:
            return
        self.pending += n
        if self.pending >= PROGRESS_EVERY:
            self.flush()

    def flush(self) -> None:
        """Report the rows counted since the last report."""
        if self.progress is not None and self.pending:
            self.progress(self.pending)
            self.pending = 0

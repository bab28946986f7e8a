"""Import CDNOW-style transaction files: ``customer [sample] yyyymmdd quantity amount``.

Whitespace-separated, 4 or 5 columns (the sample file carries a sample id as 2nd column; the
master file has a header line, skipped). Every row is validated first; any bad row raises
:class:`~userops.errors.BadInput` naming ``FILE:LINE field=value`` and nothing is written.
Each customer becomes one ``users`` row (``external_id = cdnow:<id>``), each row one ``order``
event at UTC midnight of its date. Re-importing the same file changes nothing (each event has
a ``dedupe_key`` from its row content and its occurrence number among identical rows).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite

from userops.cdp.ingest.file_checks import utf8_problem
from userops.cdp.ingest.importer import ImportResult
from userops.cdp.ingest.rows import Progress
from userops.errors import BadInput, Problem
from userops.store.models import Event, User

SHOWN = 50
CHUNK = 5000
COLUMNS: dict[int, tuple[str, ...]] = {
    4: ("customer_id", "date", "quantity", "amount"),
    5: ("customer_id", "sample_id", "date", "quantity", "amount"),
}


@dataclass(frozen=True)
class CdnowRow:
    """One validated transaction row."""

    line: int
    """1-based line in the file."""
    customer: str
    """Customer id as written (leading zeros kept)."""
    ts: int
    """UTC midnight of the purchase date, epoch seconds."""
    quantity: int
    """Number of items (CDs)."""
    amount: float
    """Dollar value."""


def _parse(fields: dict[str, str], line: int, src: str) -> CdnowRow | Problem:
    cid = fields["customer_id"]
    if not cid.isdigit() or len(cid) > 20:
        return Problem("must be digits", "customer_id", cid, src, line)
    raw = fields["date"]
    try:
        if len(raw) != 8 or not raw.isdigit():
            raise ValueError
        ts = int(datetime.strptime(raw, "%Y%m%d").replace(tzinfo=UTC).timestamp())
    except ValueError:
        return Problem("must be a date yyyymmdd", "date", raw, src, line)
    try:
        qty = int(fields["quantity"])
    except ValueError:
        return Problem("must be an integer", "quantity", fields["quantity"], src, line)
    if qty < 0:
        return Problem("must be >= 0", "quantity", fields["quantity"], src, line)
    try:
        amount = float(fields["amount"])
    except ValueError:
        return Problem("must be a number", "amount", fields["amount"], src, line)
    if not (0.0 <= amount < 1e9):
        return Problem("must be between 0 and 1e9", "amount", fields["amount"], src, line)
    return CdnowRow(line, cid, ts, qty, amount)


def read_cdnow(path: str | Path) -> list[CdnowRow]:
    """Read and validate every row of ``path``; raise ``BadInput`` listing all problems."""
    src = str(path)
    try:
        rows, problems = _read(path, src)
    except UnicodeDecodeError:
        raise BadInput([utf8_problem(Path(path), src)]) from None
    if problems:
        raise BadInput(problems[:SHOWN], total=len(problems))
    if not rows:
        raise BadInput.one("no transaction rows", source=src)
    return rows


def _read(path: str | Path, src: str) -> tuple[list[CdnowRow], list[Problem]]:
    rows: list[CdnowRow] = []
    problems: list[Problem] = []
    width: int | None = None
    with open(path, encoding="utf-8") as fh:
        for line, text in enumerate(fh, start=1):
            parts = text.split()
            if not parts or (line == 1 and not parts[0].isdigit()):
                continue  # blank line or the master file's header
            width = width or (len(parts) if len(parts) in COLUMNS else None)
            if width is None or len(parts) != width:
                want = "4 or 5" if width is None else str(width)
                problems.append(Problem(f"expected {want} columns", "row", text.strip(), src, line))
                continue
            got = _parse(dict(zip(COLUMNS[width], parts, strict=True)), line, src)
            (problems if isinstance(got, Problem) else rows).append(got)  # type: ignore[arg-type]
    return rows, problems


def insert_ignore(conn: Connection, table: Table, index_elements: list[str]) -> Any:
    """Return an insert into ``table`` that skips rows conflicting on ``index_elements``."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=index_elements)


def _dedupe_keys(rows: list[CdnowRow]) -> list[str]:
    seen: Counter[tuple[str, int, int, float]] = Counter()
    keys = []
    for r in rows:
        ident = (r.customer, r.ts, r.quantity, r.amount)
        seen[ident] += 1
        raw = f"cdnow|{r.customer}|{r.ts}|{r.quantity}|{r.amount!r}|{seen[ident]}"
        keys.append(hashlib.sha1(raw.encode()).hexdigest())
    return keys


def import_cdnow(
    engine: Engine, path: str | Path, *, progress: Progress | None = None
) -> ImportResult:
    """Import a CDNOW transaction file (all rows or nothing); see the module docstring."""
    rows = read_cdnow(path)
    first_ts: dict[str, int] = {}
    for r in rows:
        first_ts[r.customer] = min(first_ts.get(r.customer, r.ts), r.ts)
    users_t, events_t = cast(Table, User.__table__), cast(Table, Event.__table__)
    with engine.begin() as conn:
        before = conn.execute(select(users_t.c.id).where(users_t.c.external_id.like("cdnow:%")))
        n_before = len(before.all())
        new_users: list[dict[str, Any]] = [
            {
                "external_id": f"cdnow:{cid}",
                "created_ts": ts,
                "source": "ecommerce",
                "language": "en",
                "timezone": "America/New_York",
                "region": "US",
                "do_not_contact": False,
            }
            for cid, ts in first_ts.items()
        ]
        conn.execute(insert_ignore(conn, users_t, ["external_id"]), new_users)
        ids = dict(
            conn.execute(
                select(users_t.c.external_id, users_t.c.id).where(
                    users_t.c.external_id.like("cdnow:%")
                )
            ).all()
        )
        events: list[dict[str, Any]] = []
        for r, key in zip(rows, _dedupe_keys(rows), strict=True):
            events.append(
                {
                    "user_id": ids[f"cdnow:{r.customer}"],
                    "type": "order",
                    "ts": r.ts,
                    "amount": r.amount,
                    "quantity": r.quantity,
                    "properties": {"source": "ecommerce"},
                    "dedupe_key": key,
                }
            )
        count = (
            select(func.count()).select_from(events_t).where(events_t.c.user_id.in_(ids.values()))
        )
        stored = conn.execute(count).scalar_one()
        for start in range(0, len(events), CHUNK):
            part = events[start : start + CHUNK]
            conn.execute(insert_ignore(conn, events_t, ["dedupe_key"]), part)
            if progress is not None:
                progress(len(part))
        inserted = conn.execute(count).scalar_one() - stored
    return ImportResult(
        kind="transactions",
        path=str(path),
        format="cdnow",
        rows=len(rows),
        inserted=inserted,
        updated=0,
        unchanged=len(rows) - inserted,
        extra={"customers": len(first_ts), "users_created": len(ids) - n_before},
    )

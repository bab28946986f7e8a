"""PostgreSQL bulk loading: ``COPY ... FROM STDIN`` through a psycopg cursor."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def copy_rows(cur: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Copy ``rows`` (tuples in ``columns`` order) into ``table`` on the psycopg cursor ``cur``."""
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)

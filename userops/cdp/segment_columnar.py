"""An embedded columnar copy of the traits (DuckDB) for fast segment previews on SQLite stores.

A SQLite row store scans the wide trait rows (summaries included) at ~1 µs per row, so a
preview over 1M profiles costs about a second of CPU. ``refresh_columnar_copy`` writes the
trait columns a segment can filter on into ``<store dir>/<store name>.traits.duckdb`` after
each profile build (``userops profiles build`` calls it); the preview's aggregate pass runs
there when the copy is *fresh*: made from the same store file, at the same
``max(traits.as_of_ts)``, with the same row count. Otherwise, and always on PostgreSQL, the
store itself is queried.

What stays on the store: event predicates (they need ``events``), ``last_contacted_ts`` (it
changes between builds), merged records with stale trait rows, the summaries of the samples
(fetched by id) and campaign overlaps. The segment condition is the same SQLAlchemy
expression, compiled for DuckDB through the PostgreSQL dialect with ``?`` parameters.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Float, Integer, func, select
from sqlalchemy.dialects.postgresql import psycopg2

from userops.cdp.catalog import TRAIT_CATALOG
from userops.cdp.segment_spec import SegmentSpec, TraitPredicate
from userops.cdp.segment_sql import traits

VOLATILE = frozenset({"last_contacted_ts", "summary", "summary_hash", "indexed_hash"})
"""Trait columns written outside the profile build: never copied, never queried there."""
COLUMNS: tuple[str, ...] = tuple(c.name for c in traits.columns if c.name not in VOLATILE)
"""The columns of the copy."""
_DIALECT = psycopg2.dialect(paramstyle="qmark")  # type: ignore[no-untyped-call]
"""DuckDB speaks PostgreSQL's SQL (``strpos``, booleans); this dialect renders no casts."""


def columnar_path(engine: Engine) -> Path | None:
    """Where the copy of a SQLite file store lives (``None`` for other stores)."""
    db = engine.url.database
    if engine.dialect.name != "sqlite" or not db or db == ":memory:" or db.startswith("file:"):
        return None
    store = Path(db).resolve()
    return store.with_name(f"{store.stem}.traits.duckdb")


def _duck_type(col: Any) -> str:
    if isinstance(col.type, Integer):
        return "BIGINT"
    return "DOUBLE" if isinstance(col.type, Float) else "VARCHAR"


def _store_state(conn: Connection) -> tuple[int | None, int]:
    as_of, n = conn.execute(select(func.max(traits.c.as_of_ts), func.count())).one()
    return (int(as_of) if as_of is not None else None), int(n)


def refresh_columnar_copy(engine: Engine) -> Path | None:
    """Rewrite the columnar copy of ``engine``'s traits; return its path (``None``: no copy).

    The copy is written to a temporary file and moved into place, so a preview reading the
    old copy meanwhile is not disturbed. Any old copy is removed first: if writing fails, the
    preview uses the store.
    """
    import duckdb
    import numpy as np

    path = columnar_path(engine)
    if path is None:
        return None
    path.unlink(missing_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    with engine.connect() as conn:
        as_of, _ = _store_state(conn)
        rows = conn.execute(select(*(traits.c[c] for c in COLUMNS))).all()
    data = {c: np.empty(len(rows), dtype=object) for c in COLUMNS}
    for i, values in enumerate(zip(*rows, strict=True) if rows else ()):
        data[COLUMNS[i]][:] = values
    schema = ", ".join(f"{c} {_duck_type(traits.c[c])}" for c in COLUMNS)
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"CREATE TABLE traits ({schema})")
        con.register("src", data)
        con.execute(f"INSERT INTO traits SELECT {', '.join(COLUMNS)} FROM src")
        con.execute("CREATE TABLE meta (store VARCHAR, as_of_ts BIGINT, n BIGINT)")
        store = str(Path(str(engine.url.database)).resolve())
        con.execute("INSERT INTO meta VALUES (?, ?, ?)", [store, as_of, len(rows)])
    finally:
        con.close()
    os.replace(tmp, path)
    return path


def columnar_ok(spec: SegmentSpec) -> bool:
    """Whether the spec can run on the copy: trait predicates on copied columns only."""
    for p in [*spec.all_, *spec.any_, *spec.none]:
        if not isinstance(p, TraitPredicate):
            return False
        if TRAIT_CATALOG[p.field].column_name(p.field) not in COLUMNS:
            return False
    return True


def open_fresh_copy(engine: Engine, conn: Connection) -> Any | None:
    """A read-only DuckDB connection to the copy if it is fresh for the store, else ``None``."""
    import duckdb

    path = columnar_path(engine)
    if path is None or not path.exists():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    meta = con.execute("SELECT store, as_of_ts, n FROM meta").fetchone()
    store = str(Path(str(engine.url.database)).resolve())
    if meta is None or (meta[0], meta[1], meta[2]) != (store, *_store_state(conn)):
        con.close()
        return None
    return con


def duck_execute(con: Any, query: Any) -> Sequence[tuple[Any, ...]]:
    """Run a SQLAlchemy Core query over ``traits`` on the DuckDB copy; return its rows."""
    compiled = query.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    params = [compiled.params[name] for name in compiled.positiontup or ()]
    rows: list[tuple[Any, ...]] = con.execute(compiled.string, params).fetchall()
    return rows


def duck_condition_ids(con: Any, cond: ColumnElement[bool], *, after: int, n: int) -> list[int]:
    """The next ``n`` matching user ids above ``after``, in id order."""
    query = (
        select(traits.c.user_id)
        .where(cond, traits.c.user_id > after)
        .order_by(traits.c.user_id)
        .limit(n)
    )
    return [int(r[0]) for r in duck_execute(con, query)]

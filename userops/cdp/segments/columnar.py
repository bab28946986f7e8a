"""An embedded columnar copy of the traits (DuckDB) for fast segment previews on SQLite stores.

A SQLite row store scans the wide trait rows (summaries included) at ~1 µs per row, so a
preview over 1M profiles costs about a second of CPU. ``refresh_columnar_copy`` writes the
trait columns a segment can filter on into ``<store dir>/<store name>.traits.duckdb`` after
each profile build (``userops profiles build`` calls it); the preview's aggregate pass runs
there when the copy is *fresh*: made from the same store file with the same trait rows
(count, highest id, build time of the first and last row; see ``_store_state``). Otherwise,
and always on PostgreSQL, the store itself is queried.

What stays on the store: event predicates (they need ``events``) except counts over all time,
whose ids the preview has already put in temporary tables (handed to DuckDB as views: an
``orders >= 3`` segment of 323k members at 1M/10M reads its traits there instead of 323k
rows by id), ``last_contacted_ts`` (it
changes between builds), merged records with stale trait rows, the summaries of the samples
(fetched by id) and campaign overlaps. The segment condition is the same SQLAlchemy
expression, compiled for DuckDB through the PostgreSQL dialect with ``?`` parameters.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Float, Integer, Table, func, select
from sqlalchemy.dialects.postgresql import psycopg2
from sqlalchemy.sql.visitors import iterate

from userops.cdp.segments.spec import SegmentSpec, TraitPredicate
from userops.cdp.segments.sql import traits
from userops.cdp.traits.catalog import TRAIT_CATALOG
from userops.store.engine import sqlite_file

VOLATILE = frozenset(
    {
        "last_contacted_ts",
        "summary",
        "summary_hash",
        "indexed_hash",
        "last_call_intent",
        "call_tags",
        "last_call_ts",
    }
)
"""Trait columns written outside the profile build: never copied, never queried there."""
COLUMNS: tuple[str, ...] = tuple(c.name for c in traits.columns if c.name not in VOLATILE)
"""The columns of the copy."""
MIN_ROWS = 100_000
"""Default store size from which previews use the copy (a fixed ~20 ms of opening it does
not pay off on fewer rows: at 20k rows the store answers in ~20 ms of CPU)."""
CHUNK = 100_000
"""Rows moved from SQLite to DuckDB at a time (bounds the memory of a refresh)."""
_DIALECT = psycopg2.dialect(paramstyle="qmark")  # type: ignore[no-untyped-call]
"""DuckDB speaks PostgreSQL's SQL (``strpos``, booleans); this dialect renders no casts."""


def columnar_path(engine: Engine) -> Path | None:
    """Where the copy of a SQLite file store lives (``None`` for other stores)."""
    store = sqlite_file(engine)
    return None if store is None else store.with_name(f"{store.stem}.traits.duckdb")


def _duck_type(col: Any) -> str:
    if isinstance(col.type, Integer):
        return "BIGINT"
    return "DOUBLE" if isinstance(col.type, Float) else "VARCHAR"


def _store_state(conn: Connection) -> str:
    """A cheap fingerprint of the store's traits (index lookups only, no scan).

    Row count, highest id, and the build time of the first and the last row: a build
    stamps every row with its ``as_of_ts``, so a new build day or any added or removed row
    changes it. (A rebuild on the same day does not: the build refreshes the copy itself.)
    """
    by_id = traits.c.user_id
    first = select(traits.c.as_of_ts).order_by(by_id).limit(1).scalar_subquery()
    last = select(traits.c.as_of_ts).order_by(by_id.desc()).limit(1).scalar_subquery()
    count = conn.execute(select(func.count()).select_from(traits)).scalar()  # bare: fast path
    row = conn.execute(select(func.max(by_id), first, last)).one()
    return ":".join(str(v) for v in (count, *row))


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
    schema = ", ".join(f"{c} {_duck_type(traits.c[c])}" for c in COLUMNS)
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"CREATE TABLE traits ({schema})")
        with engine.connect() as conn:
            state = _store_state(conn)
            cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cur.execute(f"SELECT {', '.join(COLUMNS)} FROM traits")
            while rows := cur.fetchmany(CHUNK):  # plain tuples: ~3x faster than Row objects
                data = {c: np.empty(len(rows), dtype=object) for c in COLUMNS}
                for name, values in zip(COLUMNS, zip(*rows, strict=True), strict=True):
                    data[name][:] = values
                con.register("src", data)
                con.execute(f"INSERT INTO traits SELECT {', '.join(COLUMNS)} FROM src")
                con.unregister("src")
            cur.close()
            if _store_state(conn) != state:
                state = "changed while copying"  # never fresh
        con.execute("CREATE TABLE meta (store VARCHAR, state VARCHAR)")
        store = str(Path(str(engine.url.database)).resolve())
        con.execute("INSERT INTO meta VALUES (?, ?)", [store, state])
    finally:
        con.close()
    os.replace(tmp, path)
    return path


def columnar_ok(spec: SegmentSpec, *, events: bool = False) -> bool:
    """Whether the spec can run on the copy: trait predicates on copied columns only.

    ``events``: event predicates may be there too; the caller then checks that each became a
    table of ids it can hand over (:func:`reads_only`, :func:`register_ids`).
    """
    for p in [*spec.all_, *spec.any_, *spec.none]:
        if not isinstance(p, TraitPredicate):
            if events:
                continue
            return False
        if TRAIT_CATALOG[p.field].column_name(p.field) not in COLUMNS:
            return False
    return True


def reads_only(cond: ColumnElement[bool], tables: Sequence[Table]) -> bool:
    """Whether ``cond`` reads no table but ``traits`` and ``tables``."""
    allowed = {traits, *tables}
    return all(el in allowed for el in iterate(cond) if isinstance(el, Table))


def register_ids(duck: Any, conn: Connection, tables: Sequence[Table]) -> None:
    """Make the store's temporary id tables readable by name on the DuckDB connection.

    The preview's count predicates fill ``(canon, n)`` tables on the store
    (:class:`~userops.cdp.segments.temp_ids.TempIds`); the same condition then runs on the
    copy against these in-memory views (the copy is opened read-only: nothing is written).
    """
    import numpy as np

    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for table in tables:  # plain tuples into one int64 array: 323k rows in ~0.1 s
            cur.execute(f"SELECT canon, n FROM {table.name}")
            pairs = np.array(cur.fetchall(), dtype=np.int64).reshape(-1, 2)
            duck.register(table.name, {"canon": pairs[:, 0].copy(), "n": pairs[:, 1].copy()})
    finally:
        cur.close()


def open_fresh_copy(engine: Engine, conn: Connection, *, min_rows: int = 0) -> Any | None:
    """A read-only DuckDB connection to the copy if it is fresh for the store, else ``None``.

    ``min_rows``: below this many trait rows the store is used (it is faster on few rows).
    """
    import duckdb

    path = columnar_path(engine)
    if path is None or not path.exists():
        return None
    state = _store_state(conn)
    if int(state.split(":", 1)[0]) < min_rows:
        return None
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        found = con.execute("SELECT store, state FROM meta").fetchall()  # result finished
        meta = found[0] if found else None
    except duckdb.Error:  # a copy of another layout
        meta = None
    store = str(Path(str(engine.url.database)).resolve())
    if meta is None or (meta[0], meta[1]) != (store, state):
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

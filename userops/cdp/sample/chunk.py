"""Generation of one chunk of the population and the load loop over all chunks.

A chunk is a pure function of ``(seed, chunk number, language, as_of)``, so chunks can be
generated in a helper process while the main process writes the previous one: the output
is the same either way (only the elapsed time differs).
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Engine

from userops.cdp.sample.activity import make_browsing, make_feedback
from userops.cdp.sample.events import EVENT_COLUMNS, concat, event_rows
from userops.cdp.sample.messages import make_messages, schedule
from userops.cdp.sample.np import Columns
from userops.cdp.sample.orders import make_orders
from userops.cdp.sample.people import make_persons
from userops.cdp.sample.records import consent_matrix, make_records
from userops.cdp.sample.rows import (
    CONSENT_COLUMNS,
    USER_COLUMNS,
    consent_rows,
    identity_inserts,
    user_rows,
)
from userops.cdp.sample.time import build_calendar
from userops.cdp.sample.write import bulk_load
from userops.domain import EVENT_TYPES

if TYPE_CHECKING:
    from userops.cdp.sample.population import SeedProgress, SeedResult

SMALL_LOAD = 20_000
"""Below this many persons the indexes stay in place during the load."""


@dataclass(frozen=True)
class Plan:
    """What every chunk needs to know (small and picklable)."""

    seed: int
    """Seed of the run."""
    language: str
    """Language of the population."""
    as_of: int
    """End of history, epoch seconds."""


@dataclass
class ChunkData:
    """One generated chunk, ready to write: per table, its columns as Python lists."""

    persons: int = 0
    """Persons in the chunk."""
    identities: int = 0
    """Identifiers on the chunk's records (copied into ``identities`` at the end)."""
    tables: list[tuple[str, tuple[str, ...], Columns]] = field(default_factory=list)
    """(table, column names, column lists) in write order."""
    by_type: list[int] = field(default_factory=list)
    """Events per type (``EVENT_TYPES`` order)."""

    def rows(self, table: str) -> int:
        """Number of rows for ``table``."""
        return sum(len(cols[0]) for name, _, cols in self.tables if name == table)


def make_chunk(plan: Plan, number: int, first_person: int, n: int, first_id: int) -> ChunkData:
    """Generate chunk ``number``: ``n`` persons from ``first_person``, ids from ``first_id``."""
    seed, language, as_of = plan.seed, plan.language, plan.as_of
    cal = build_calendar(as_of, language)
    campaigns = schedule(seed, language, cal)
    rng = np.random.default_rng([seed, number, 0 if language == "zh" else 1])
    ps = make_persons(rng, first_person, n, cal, language)
    recs = make_records(rng, ps, first_id, cal, language, seed)
    consent = consent_matrix(rng, recs, as_of)
    orders = make_orders(rng, ps, recs, cal, language, as_of)
    events = concat(
        [
            orders.block,
            make_browsing(rng, ps, recs, cal, orders, as_of),
            make_feedback(rng, ps, recs, cal, orders, language, as_of),
            make_messages(rng, ps, recs, consent, campaigns, cal, as_of),
        ]
    )
    return ChunkData(
        persons=n,
        identities=sum(int(m.sum()) for m in recs.present.values()),
        tables=[
            ("users", USER_COLUMNS, user_rows(ps, recs, language)),
            ("consents", CONSENT_COLUMNS, consent_rows(recs, consent)),
            ("events", EVENT_COLUMNS, event_rows(events, recs)),
        ],
        by_type=np.bincount(events.type, minlength=len(EVENT_TYPES)).tolist(),
    )


def _sizes(total: int, chunk: int) -> list[int]:
    return [min(chunk, total - start) for start in range(0, total, chunk)]


@contextmanager
def chunk_source(
    plan: Plan, total: int, chunk: int, parallel: bool
) -> Iterator[Iterator[ChunkData]]:
    """Yield an iterator over the chunks in order.

    With ``parallel`` (Linux only) one forked helper process generates a chunk ahead while
    the caller writes; it is forked here, before the caller opens its write transaction.
    Chunks come with record ids numbered from 0; the writer shifts them (``_renumber``).
    """
    sizes = _sizes(total, chunk)
    if not (parallel and sys.platform == "linux" and len(sizes) > 1):
        yield (make_chunk(plan, i, i * chunk, n, 0) for i, n in enumerate(sizes))
        return
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        pending: list[Future[ChunkData]] = [pool.submit(make_chunk, plan, 0, 0, sizes[0], 0)]

        def ordered() -> Iterator[ChunkData]:
            for i, n in enumerate(sizes[1:], start=1):
                pending.append(pool.submit(make_chunk, plan, i, i * chunk, n, 0))
                yield pending.pop(0).result()
            while pending:
                yield pending.pop(0).result()

        yield ordered()


def _renumber(data: ChunkData, offset: int) -> None:
    """Shift the record ids of a chunk generated from id 0 by ``offset``."""
    for table, columns, cols in data.tables:
        j = columns.index("id" if table == "users" else "user_id")
        cols[j] = (np.asarray(cols[j], dtype=np.int64) + offset).tolist()


def write_population(
    engine: Engine,
    result: SeedResult,
    total: int,
    as_of: int,
    replace: bool,
    progress: SeedProgress | None,
) -> None:
    """Generate ``total`` persons chunk by chunk and write them in one transaction."""
    from userops.cdp.sample.population import CHUNK, POPULATION_TABLES

    plan = Plan(result.seed, result.language, as_of)
    parallel = total > CHUNK
    with (
        chunk_source(plan, total, CHUNK, parallel) as chunks,
        bulk_load(engine, rebuild_indexes=total >= SMALL_LOAD) as writer,
    ):
        if replace:
            for table in POPULATION_TABLES:
                writer.execute(f"DELETE FROM {table}")
        for data in chunks:
            _renumber(data, result.records + 1)
            for table, columns, cols in data.tables:
                writer.write(table, columns, zip(*cols, strict=True))
            result.users += data.persons
            result.records += data.rows("users")
            result.identities += data.identities
            result.consents += data.rows("consents")
            result.events += data.rows("events")
            for name, c in zip(EVENT_TYPES, data.by_type, strict=True):
                if c:
                    result.events_by_type[name] = result.events_by_type.get(name, 0) + c
            if progress is not None:
                progress("generate", result.users, total)
        if progress is not None:
            progress("index", 0, 1)
        for sql in identity_inserts():
            writer.execute(sql)
    if progress is not None:
        progress("index", 1, 1)

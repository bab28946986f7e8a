"""Recall@10 of the profile search's HNSW index against exact cosine, at scale.

``.venv/bin/python -m bench.search_hnsw_recall [N] [EF_SEARCH ...]`` (default 200000 and
100 200 400): indexes N fixture summaries with the product's settings (``ProfileSearch``,
``static``), then asks Chroma for the 10 nearest of 500 queries (the 58 eval texts and 442
summaries of held-out users) at each ``ef_search`` and compares with exact cosine over all
N vectors. A hit counts if its distance is within the exact 10th neighbour's (ties are fair).
Prints the indexing wall / CPU seconds and the load average beside it (docs/search.md).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select, update

from bench.bench_search import Clock
from evals.search_recall import load_population, load_queries, make_population
from userops.cdp.search.index import ProfileSearch
from userops.cdp.search.summaries import build_summaries
from userops.settings import Settings
from userops.store.engine import make_engine, upgrade
from userops.store.models import Trait

HELD_OUT = 442


def _recall(ps: ProfileSearch, x: np.ndarray, queries: np.ndarray, ef_search: int) -> list[float]:
    """Per query: the share of Chroma's 10 hits within the exact 10th neighbour's distance."""
    col: Any = ps.collections[0]
    col._client._modify(  # Collection.modify would need the function registered with Chroma
        id=col.id,
        new_configuration={"hnsw": {"ef_search": ef_search}},
        tenant=col.tenant,
        database=col.database,
    )
    res = col.query(query_embeddings=list(queries), n_results=10, include=["distances"])
    out = []
    for i, q in enumerate(queries):
        kth = np.partition(1.0 - x @ (q / np.linalg.norm(q)), 9)[9]
        out.append(float(np.mean(np.asarray(res["distances"][i]) <= kth + 1e-5)))
    return out


def main(n: int, ef_values: list[int]) -> None:
    """Index ``n`` summaries and print recall against exact cosine per ``ef_search``."""
    work = Path(tempfile.mkdtemp(prefix="hnsw_recall_"))
    engine = make_engine(f"sqlite:///{work / 'store.db'}")
    upgrade(engine)
    load_population(engine, make_population(n + HELD_OUT, seed=1))
    build_summaries(engine)
    with engine.begin() as conn:
        held = conn.execute(select(Trait.summary).where(Trait.user_id > n)).scalars().all()
        conn.execute(update(Trait).where(Trait.user_id > n).values(summary=None))
    ps = ProfileSearch(engine, Settings(home=work, embedding="static"))
    with Clock() as clock:
        ps.index_changed()
    print(clock.report("index", n), flush=True)
    fn = ps.functions[0]
    with engine.connect() as conn:
        docs = conn.execute(
            select(Trait.summary).where(Trait.summary.is_not(None)).order_by(Trait.user_id)
        ).scalars()
        texts = [str(t) for t in docs]
    x = np.vstack([np.asarray(fn(texts[i : i + 5000]), np.float32) for i in range(0, n, 5000)])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    text_q = np.asarray(fn.embed_query([q["text"] for q in load_queries()]), np.float32)
    queries = np.vstack([text_q, np.asarray(fn([str(h) for h in held]), np.float32)])
    print("config", ps.collections[0].configuration_json.get("hnsw"))
    for ef in ef_values:
        rec = _recall(ps, x, queries, ef)
        t = len(text_q)
        print(
            f"ef_search {ef}: all {np.mean(rec):.3f}  text queries {np.mean(rec[:t]):.3f}"
            f"  summaries {np.mean(rec[t:]):.3f}"
        )
    engine.dispose()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(args[0] if args else 200_000, args[1:] or [100, 200, 400])

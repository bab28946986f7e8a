"""The ``static`` embedding (deterministic, no model while indexing) and incremental indexing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chromadb.api.types import Documents, Embeddings
from sqlalchemy import Engine, select, update

from evals.search_recall import evaluate, load_population, make_population
from scripts.build_static_embedding import reference_corpus
from userops.cdp.search import embed_static
from userops.cdp.search.embed_static import TABLE, StaticEmbedding, clauses, dense_clause
from userops.cdp.search.index import ProfileSearch
from userops.cdp.search.summaries import build_summaries, render_summary
from userops.settings import Settings
from userops.store.models import Trait


def _texts(n: int, region: str | None = None) -> list[str]:
    people = make_population(n, seed=3)
    return [
        render_summary(p["trait"] | {"region": region}, Counter(p["topics"]), p["language"])
        for p in people
    ]


@pytest.fixture
def fresh_static(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], bool]]:
    """An empty process-wide clause cache and a fake e5 that records what it is asked."""
    monkeypatch.setattr(StaticEmbedding, "_shared", {})
    seen: list[tuple[list[str], bool]] = []

    def fake_e5(texts: list[str], *, query: bool) -> np.ndarray:
        seen.append((list(texts), query))
        rng = np.random.default_rng(len(texts[0]))
        return rng.standard_normal((len(texts), 384)).astype(np.float32)

    monkeypatch.setattr(embed_static, "e5_encode", fake_e5)
    return seen


def test_summaries_are_embedded_from_the_table_without_the_model(
    fresh_static: list[tuple[list[str], bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = _texts(80)
    first = np.asarray(StaticEmbedding()(texts))
    assert first.shape == (80, 256)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert fresh_static == []  # every clause of these summaries is in the shipped table
    monkeypatch.setattr(StaticEmbedding, "_shared", {})  # as in a new process
    again = np.asarray(StaticEmbedding()(texts[::-1]))[::-1]  # other batch order too
    assert np.allclose(first, again, atol=1e-6)
    assert len({row.tobytes() for row in first}) > 60  # not a constant vector


def test_a_clause_missing_from_the_table_goes_to_e5_once(
    fresh_static: list[tuple[list[str], bool]],
) -> None:
    fn = StaticEmbedding()
    fn(_texts(3, region="Atlantis"))
    fn(_texts(5, region="Atlantis"))
    assert fresh_static == [(["Atlantis"], False)] and fn.model_calls == 1
    fn.embed_query(["宝妈"])
    assert fresh_static[-1] == (["宝妈"], True)


def test_a_full_clause_cache_starts_over_with_the_same_vectors(
    fresh_static: list[tuple[list[str], bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = _texts(40)
    expected = np.asarray(StaticEmbedding()(texts))
    monkeypatch.setattr(StaticEmbedding, "_shared", {})
    monkeypatch.setattr(embed_static, "CACHE_LIMIT", 120)  # below the clauses of 2 batches
    small = StaticEmbedding()
    got = np.vstack([np.asarray(small(texts[i : i + 10])) for i in range(0, 40, 10)])
    assert len(small.t["index"]) < len({c for t in texts for c in clauses(t)})  # it started over
    assert np.allclose(got, expected, atol=1e-6)


def test_the_shipped_table_covers_the_current_summary_templates() -> None:
    """Fails when the templates or vocabulary change: rebuild the table (docs/search.md)."""
    wanted = {c for text in reference_corpus() for c in clauses(text) if dense_clause(c)}
    with np.load(TABLE) as table:
        assert set(table["units"].tolist()) == wanted
        assert table["unit_vecs"].shape == (len(wanted), 384)
    assert TABLE.stat().st_size < 2_000_000


class _Counting(StaticEmbedding):
    """The static embedding, recording every batch of documents it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    def __call__(self, input: Documents) -> Embeddings:
        self.batches.append(list(input))
        return super().__call__(input)


def _counting_search(engine: Engine, home: Path) -> tuple[ProfileSearch, _Counting]:
    ps = ProfileSearch(engine, Settings(home=home, embedding="static"))
    counting = _Counting()
    ps.functions = [counting]
    return ps, counting


def _summaries(engine: Engine, ids: list[int]) -> list[str]:
    with engine.connect() as conn:
        stmt = select(Trait.summary).where(Trait.user_id.in_(ids)).order_by(Trait.user_id)
        return [s for s in conn.execute(stmt).scalars() if s]


def test_incremental_index_embeds_only_the_changed_summaries(
    sqlite_engine: Engine, home: Path
) -> None:
    people = make_population(120, seed=11)
    load_population(sqlite_engine, people)
    build_summaries(sqlite_engine)
    ps, counting = _counting_search(sqlite_engine, home)
    assert ps.index_changed() == 120
    assert [len(b) for b in counting.batches] == [120]  # one batched call
    assert ps.index_changed() == 0 and len(counting.batches) == 1
    with sqlite_engine.begin() as conn:
        conn.execute(update(Trait).where(Trait.user_id.in_([3, 4])).values(interests=",books,"))
    assert build_summaries(sqlite_engine) == 2
    again, counting = _counting_search(sqlite_engine, home)
    assert again.index_changed() == 2
    assert counting.batches == [_summaries(sqlite_engine, [3, 4])]
    assert again.count() == 120
    (hit,) = again.search("图书", k=1)  # user 3 is zh; the summary comes from the store
    assert hit.user_id == 3 and hit.summary == _summaries(sqlite_engine, [3])[0]


def test_default_embedding_keeps_the_recall_of_the_previous_default(tmp_path: Path) -> None:
    """The 600-person eval set (docs/search.md): use+hashing measured 0.716, paraphrase 0.49."""
    assert Settings().embedding == "static"
    result: dict[str, Any] = evaluate("static", make_population(), tmp_path)
    assert result["recall10_all"] >= 0.716, result
    assert result["recall10_para"] >= 0.49, result

"""``static``: a distilled embedding of profile summaries that runs no model while indexing.

Summaries are rendered from a closed vocabulary, so they split into a few hundred distinct
clauses (``成熟期用户``, ``Prefers offers and discounts``, ``咖啡``...). The table shipped
beside this module (``static_embedding.npz``, built by ``scripts/build_static_embedding.py``)
holds each clause's multilingual-e5-small vector and two fixed projections. A summary's
256-d vector is the weighted concatenation of

* a dense part: the mean of its clauses' e5 vectors, centered, projected to 128-d
  (clauses with digits are left out, as with the other dense options);
* a lexical part: the ``hashing`` features of the whole text projected to 128-d (computed
  per clause and cached: hashing features never cross a clause boundary).

The cosine of two such vectors is ``A² · dense cosine + (1 - A²) · lexical cosine``: one
collection, one HNSW insertion per summary. A clause missing from the table (a region or an
interest code the table does not know) is embedded by e5 once per process. Queries are free
text: e5 (``query:`` prefix) plus the glossary-expanded hashing vector, ~30 ms.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Embeddings

from userops.cdp.search.e5_model import e5_encode
from userops.cdp.search.embeddings import HashingEmbedding, Offline, rows, unit_rows

TABLE = Path(__file__).with_name("static_embedding.npz")
DENSE_DIMS = 128
LEX_DIMS = 128
A = 0.75
"""Weight of the dense part (the lexical part gets ``sqrt(1 - A²)``); chosen on the eval set."""
CACHE_LIMIT = 200_000
_CLAUSE = re.compile(r"[。；;.，、,:：]")
_DIGIT = re.compile(r"\d")


def clauses(text: str) -> list[str]:
    """The stripped, non-empty clauses of a summary (split at sentence and list marks)."""
    return [c for c in (p.strip() for p in _CLAUSE.split(text)) if c]


def dense_clause(clause: str) -> bool:
    """Whether a clause takes part in the dense (e5) part: no digits (counts, days, scores)."""
    return not _DIGIT.search(clause)


class StaticEmbedding(Offline):
    """Table lookups for documents, e5 for queries (``userops-static-v1`` in Chroma)."""

    kind = "static"
    _shared: dict[str, Any] = {}
    _lock = threading.Lock()

    @classmethod
    def name(cls) -> str:
        """Registry name; the version changes whenever the shipped table does."""
        return "userops-static-v1"

    def __init__(self) -> None:
        """Load the table once per process (a few ms; no model is loaded)."""
        with StaticEmbedding._lock:
            if not StaticEmbedding._shared:
                StaticEmbedding._shared.update(_load())
        self.t = StaticEmbedding._shared
        self.hashing = HashingEmbedding()
        self.model_calls = 0
        """Clauses or queries this object sent to e5 (tests assert the table is used)."""

    def encode(self, texts: list[str], *, query: bool) -> Embeddings:
        """Embed queries with e5 + hashing, documents from the clause table."""
        if not texts:
            return []
        if query:
            return rows(self._queries(texts))
        with StaticEmbedding._lock:
            return rows(self._documents(texts))

    def _queries(self, texts: list[str]) -> np.ndarray:
        t = self.t
        self.model_calls += len(texts)
        dense = unit_rows((unit_rows(e5_encode(texts, query=True)) - t["mean"]) @ t["dense_proj"])
        lex = np.asarray(self.hashing.encode(texts, query=True), dtype=np.float32)
        return self._join(dense, unit_rows(lex @ t["lex_proj"]))

    def _documents(self, texts: list[str]) -> np.ndarray:
        per_doc = [clauses(text) for text in texts]
        self._learn({c for cs in per_doc for c in cs})
        t = self.t
        index = t["index"]
        ids = np.fromiter((index[c] for cs in per_doc for c in cs), dtype=np.int64)
        counts = [len(cs) for cs in per_doc]
        lex = _group_sums(t["lex_rows"], ids, counts, None)
        kept = t["keep"][ids].astype(np.float32)
        dense = _group_sums(t["dense_rows"], ids, counts, kept)
        has_dense = _group_sums(np.ones((len(index), 1), np.float32), ids, counts, kept) > 0
        # the direction of a sum is that of the mean: normalize, center, project, normalize
        dense = (unit_rows(dense) - t["mean"]) @ t["dense_proj"]
        return self._join(np.where(has_dense, unit_rows(dense), 0.0), unit_rows(lex))

    def _learn(self, seen: set[str]) -> None:
        """Cache the clauses not seen yet (e5 runs only for those with no table vector)."""
        t = self.t
        new = sorted(seen - t["index"].keys())
        if not new:
            return
        if len(t["index"]) + len(new) > CACHE_LIMIT:
            _reset(t)
            new = sorted(seen)
        table, learned = t["table"], t["learned"]
        missing = [c for c in new if c not in table and c not in learned and dense_clause(c)]
        if missing:
            self.model_calls += len(missing)
            learned.update(zip(missing, unit_rows(e5_encode(missing, query=False)), strict=True))
        zero = np.zeros(t["mean"].shape, dtype=np.float32)
        base = len(t["index"])
        t["index"].update((c, base + i) for i, c in enumerate(new))
        t["keep"] = np.concatenate([t["keep"], [dense_clause(c) for c in new]])
        dense = np.stack([table.get(c, learned.get(c, zero)) for c in new])
        t["dense_rows"] = np.vstack([t["dense_rows"], dense])
        t["lex_rows"] = np.vstack([t["lex_rows"], self.hashing.raw(new) @ t["lex_proj"]])

    @staticmethod
    def _join(dense: np.ndarray, lex: np.ndarray) -> np.ndarray:
        return unit_rows(np.hstack([A * dense, np.sqrt(1 - A * A) * lex])).astype(np.float32)


def _group_sums(
    matrix: np.ndarray, ids: np.ndarray, counts: list[int], weights: np.ndarray | None
) -> np.ndarray:
    """Weighted row sums of ``matrix[ids]`` over consecutive groups of ``counts`` rows."""
    from scipy.sparse import csr_matrix

    indptr = np.concatenate([[0], np.cumsum(counts)])
    data = np.ones(len(ids), dtype=np.float32) if weights is None else weights
    groups = csr_matrix((data, ids, indptr), (len(counts), len(matrix)))
    return np.asarray(groups @ matrix, dtype=np.float32)


def _load() -> dict[str, Any]:
    with np.load(TABLE, allow_pickle=False) as z:
        t: dict[str, Any] = {k: z[k] for k in z.files}
    t["table"] = dict(zip(t.pop("units").tolist(), t.pop("unit_vecs"), strict=True))
    _reset(t)
    return t


def _reset(t: dict[str, Any]) -> None:
    """Forget the per-process clause cache (the shipped table stays)."""
    t["learned"] = {}
    t["index"] = {}
    t["keep"] = np.zeros(0, dtype=bool)
    t["dense_rows"] = np.zeros((0, t["mean"].shape[0]), dtype=np.float32)
    t["lex_rows"] = np.zeros((0, LEX_DIMS), dtype=np.float32)

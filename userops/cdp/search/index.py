"""Profile search: summaries embedded in Chroma, optionally fused with a lexical index.

``Settings.embedding`` names one embedding (``use``) or several joined by ``+``
(``use+hashing``): each gets its own Chroma collection (``profiles``, ``profiles_hashing``)
and the ranked lists are fused by reciprocal rank fusion. Chroma runs embedded in
``{home}/chroma`` (a ``PersistentClient``: one process at a time) or as a server at
``USEROPS_CHROMA_URL`` (``HttpClient``; use that when several processes search or index).

Chroma holds only ids and vectors: the summary text stays in the store (fetched for the hits)
and segment filters go by id, so an insertion pays for the HNSW graph alone (docs/search.md).
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlparse

from pydantic import BaseModel
from sqlalchemy import Engine, bindparam, or_, select, update

from userops.cdp.search.embeddings import get_embedding_function
from userops.cdp.segments.spec import SegmentSpec
from userops.errors import UsageError
from userops.settings import Settings
from userops.store.models import Trait

SegmentFilter = Callable[[Engine, SegmentSpec], list[int]]
RRF_K = 60
_BATCH = 5000
"""Summaries read, embedded and upserted at a time (Chroma's local limit is 5,461)."""
_IN_LIMIT = 2000
HNSW = {"space": "cosine", "ef_construction": 32, "ef_search": 400}
"""Graph settings of new collections: ef_construction 32 (Chroma's default 100) builds the graph
~1.4x faster than 50 did; ef_search 400 (default 100) more than wins back the neighbours a
thinner graph loses: recall@10 against exact cosine at 200k vectors 0.976 vs 0.962 with
50/100 (docs/search.md). Existing collections keep theirs until ``--rebuild``."""


class SearchHit(BaseModel):
    """One profile found by a search."""

    user_id: int
    """Canonical user id."""
    score: float
    """Cosine similarity (single embedding) or fused reciprocal-rank score (hybrid)."""
    summary: str
    """The indexed profile summary (contains no contact data)."""


def chroma_client(settings: Settings) -> Any:
    """Return a Chroma client: ``HttpClient`` for ``chroma_url``, else a local directory."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    cs = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "localhost",
            port=url.port or 8000,
            ssl=url.scheme == "https",
            settings=cs,
        )
    path = settings.home / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    # Several API workers may open a fresh directory at once: Chroma's own schema set-up
    # is not safe across processes ("table collections already exists"), so it is serialised.
    with open(path / ".open.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            return chromadb.PersistentClient(path=str(path), settings=cs)
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _default_filter(engine: Engine, spec: SegmentSpec) -> list[int]:
    from userops.cdp.segments.service import segment_user_ids  # H4; imported lazily

    return segment_user_ids(engine, spec)


class ProfileSearch:
    """Index changed summaries and search them, optionally inside a segment."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        client: Any = None,
        segment_filter: SegmentFilter | None = None,
        rebuild: bool = False,
    ) -> None:
        """Open (or create) the collections named by ``settings.embedding``.

        ``rebuild`` drops them first (needed after changing the embedding), so the next
        :meth:`index_changed` embeds every summary.
        """
        self.engine = engine
        self.kinds = [k.strip() for k in settings.embedding.split("+") if k.strip()]
        if not self.kinds:
            raise UsageError("settings.embedding is empty")
        self.client = client if client is not None else chroma_client(settings)
        self.segment_filter = segment_filter or _default_filter
        self.functions = [
            get_embedding_function(settings.model_copy(update={"embedding": k})) for k in self.kinds
        ]
        if rebuild:
            self._drop()
        self.collections = [self._collection(i) for i in range(len(self.kinds))]
        self.upserts = 0
        """Documents upserted by this object (tests count re-indexing with it)."""

    def _name(self, i: int) -> str:
        return "profiles" if i == 0 else f"profiles_{self.kinds[i]}"

    def _collection(self, i: int) -> Any:
        fn = self.functions[i]
        try:
            col = self.client.get_or_create_collection(
                self._name(i),
                embedding_function=fn,
                metadata={"embedding": fn.name()},
                configuration={"hnsw": HNSW},
            )
            stored = (col.metadata or {}).get("embedding")
        except ValueError as exc:  # Chroma refuses a different embedding function
            stored = str(exc).rsplit("persisted: ", 1)[-1]
        if stored != fn.name():
            raise UsageError(
                f"collection {self._name(i)!r} was built with {stored!r}, not {fn.name()!r}: "
                "run `userops profiles index --rebuild`"
            )
        return col

    def _drop(self) -> None:
        """Delete the collections and forget what was indexed."""
        existing = {c if isinstance(c, str) else c.name for c in self.client.list_collections()}
        for i in range(len(self.kinds)):
            if self._name(i) in existing:
                self.client.delete_collection(self._name(i))
        with self.engine.begin() as conn:
            conn.execute(update(Trait).values(indexed_hash=None))

    def index_changed(self, progress: Callable[[int], None] | None = None) -> int:
        """Embed and upsert summaries whose hash changed since indexing; return the count."""
        cols = (Trait.user_id, Trait.summary, Trait.summary_hash)
        stale = or_(Trait.indexed_hash.is_(None), Trait.indexed_hash != Trait.summary_hash)
        mark = update(Trait).where(Trait.user_id == bindparam("uid"))
        mark = mark.values(indexed_hash=bindparam("h"))
        done, last = 0, -1
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(*cols)
                    .where(Trait.summary.is_not(None), stale, Trait.user_id > last)
                    .order_by(Trait.user_id)
                    .limit(_BATCH)
                ).all()
            if not rows:
                return done
            last = rows[-1].user_id
            self._upsert(rows)
            with self.engine.begin() as conn:
                conn.execute(mark, [{"uid": r.user_id, "h": r.summary_hash} for r in rows])
            done += len(rows)
            if progress is not None:
                progress(len(rows))

    def _upsert(self, rows: Sequence[Any]) -> None:
        """One embedding call and one upsert per collection for the whole batch."""
        docs = [r.summary for r in rows]
        ids = [str(r.user_id) for r in rows]
        step = min(_BATCH, int(self.client.get_max_batch_size()))
        for fn, col in zip(self.functions, self.collections, strict=True):
            vecs = fn(docs)
            for i in range(0, len(ids), step):
                col.upsert(ids=ids[i : i + step], embeddings=vecs[i : i + step])
        self.upserts += len(rows)

    def prune(self) -> int:
        """Delete indexed profiles that no longer have a summary (merged or removed users)."""
        with self.engine.connect() as conn:
            live = {
                str(u)
                for u in conn.execute(
                    select(Trait.user_id).where(Trait.summary.is_not(None))
                ).scalars()
            }
        removed = 0
        for col in self.collections:
            gone = [i for i in col.get(include=[])["ids"] if i not in live]
            for start in range(0, len(gone), _BATCH):
                col.delete(ids=gone[start : start + _BATCH])
            removed = max(removed, len(gone))
        return removed

    def count(self) -> int:
        """Number of documents in the main collection."""
        return int(self.collections[0].count())

    def search(self, text: str, k: int = 10, where: SegmentSpec | None = None) -> list[SearchHit]:
        """Return the ``k`` profiles closest to ``text``, inside segment ``where`` if given."""
        if not text.strip():
            raise UsageError("search text is empty")
        allowed: set[int] | None = None
        if where is not None:
            spec = where.model_copy(update={"search": None, "limit": None})
            allowed = set(self.segment_filter(self.engine, spec))
            if not allowed:
                return []
        only = None
        if allowed is not None and len(allowed) <= _IN_LIMIT:
            only = [str(u) for u in sorted(allowed)]
        fetch = k if allowed is None or only is not None else k * 20
        lists = [
            self._query(fn, col, text, fetch if len(self.kinds) == 1 else max(fetch, 50), only)
            for fn, col in zip(self.functions, self.collections, strict=True)
        ]
        ranked = lists[0] if len(lists) == 1 else _fuse(lists)
        if allowed is not None:
            ranked = [h for h in ranked if h[0] in allowed]
        return self._with_summaries(ranked[:k])

    def search_ids(self, text: str, k: int = 10) -> list[int]:
        """User ids of :meth:`search` (the ``searcher`` callable segments accept)."""
        return [h.user_id for h in self.search(text, k)]

    def _query(
        self, fn: Any, col: Any, text: str, n: int, only: list[str] | None
    ) -> list[tuple[int, float]]:
        res = col.query(
            query_embeddings=fn.embed_query([text]), n_results=n, ids=only, include=["distances"]
        )
        ids, dists = res["ids"][0], res["distances"][0]
        return [(int(i), round(1.0 - float(d), 6)) for i, d in zip(ids, dists, strict=True)]

    def _with_summaries(self, ranked: list[tuple[int, float]]) -> list[SearchHit]:
        """Hits with their summaries from the store; a profile gone since indexing is left out."""
        if not ranked:
            return []
        with self.engine.connect() as conn:
            found = dict(
                conn.execute(
                    select(Trait.user_id, Trait.summary).where(
                        Trait.user_id.in_([u for u, _ in ranked]), Trait.summary.is_not(None)
                    )
                ).all()
            )
        return [
            SearchHit(user_id=u, score=score, summary=found[u]) for u, score in ranked if u in found
        ]


def _fuse(lists: Iterable[list[tuple[int, float]]]) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: score = sum over lists of 1 / (RRF_K + rank)."""
    scores: dict[int, float] = {}
    for hits in lists:
        for rank, (user_id, _) in enumerate(hits, start=1):
            scores[user_id] = scores.get(user_id, 0.0) + 1.0 / (RRF_K + rank)
    order = sorted(scores, key=lambda u: (-scores[u], u))
    return [(u, round(scores[u], 6)) for u in order]

"""Memory of past campaigns: lessons in the ``lessons`` table, searchable in Chroma.

The table is the record; the Chroma collection is an index that :meth:`LessonMemory.reindex`
rebuilds from it. Lesson text is redacted before it is stored.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, insert, select

from userops.privacy import redact
from userops.settings import Settings
from userops.store.models import Campaign, Lesson

COLLECTION = "userops_lessons"


class LessonHit(BaseModel):
    """A lesson found by meaning."""

    text: str
    """What was learned."""
    objective: str | None = None
    """Objective of the campaign it came from."""
    campaign_id: str | None = None
    """Campaign it came from."""
    distance: float = 0.0
    """Cosine distance to the query (lower is closer)."""


class LessonMemory:
    """Lessons and past campaigns."""

    def __init__(self, engine: Engine, client: Any, embedding_function: Any) -> None:
        self.engine = engine
        self.collection = client.get_or_create_collection(
            COLLECTION, embedding_function=embedding_function, metadata={"hnsw:space": "cosine"}
        )

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings) -> LessonMemory:
        """Open the lessons collection of the configured Chroma."""
        from tools.chroma import chroma_client, embedding_function

        return cls(engine, chroma_client(settings), embedding_function(settings))

    def add(
        self, text: str, *, objective: str | None, language: str, campaign_id: str | None = None
    ) -> int:
        """Record a lesson (table first, then the index); return its id."""
        clean = redact(text)
        with self.engine.begin() as conn:
            row = conn.execute(
                insert(Lesson)
                .values(campaign_id=campaign_id, objective=objective, language=language, text=clean)
                .returning(Lesson.id)
            ).scalar_one()
        self._upsert([(int(row), clean, objective, campaign_id, language)])
        return int(row)

    def _upsert(self, rows: list[tuple[int, str, str | None, str | None, str]]) -> None:
        if not rows:
            return
        self.collection.upsert(
            ids=[f"lesson-{r[0]}" for r in rows],
            documents=[r[1] for r in rows],
            metadatas=[
                {"objective": r[2] or "", "campaign_id": r[3] or "", "language": r[4]} for r in rows
            ],
        )

    def reindex(self) -> int:
        """Rebuild the index from the lessons table; return the number of lessons."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    Lesson.id, Lesson.text, Lesson.objective, Lesson.campaign_id, Lesson.language
                )
            ).all()
        self._upsert([(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows])
        return len(rows)

    def search(self, query: str, k: int = 3, objective: str | None = None) -> list[LessonHit]:
        """Return up to ``k`` lessons closest to ``query`` (optionally of one objective)."""
        n = self.collection.count()
        if n == 0:
            return []
        where = {"objective": objective} if objective else None
        res = self.collection.query(query_texts=[query], n_results=min(k, n), where=where)
        docs, metas, dists = res["documents"][0], res["metadatas"][0], res["distances"][0]
        return [
            LessonHit(
                text=d,
                objective=m.get("objective") or None,
                campaign_id=m.get("campaign_id") or None,
                distance=float(dist),
            )
            for d, m, dist in zip(docs, metas, dists, strict=True)
        ]

    def past_campaigns(self, objective: str | None = None, limit: int = 5) -> list[dict[str, Any]]:
        """Return the latest campaigns (id, name, objective, status, budget, spent)."""
        q = (
            select(
                Campaign.id,
                Campaign.name,
                Campaign.objective,
                Campaign.status,
                Campaign.budget,
                Campaign.spent,
            )
            .order_by(Campaign.created_at.desc())
            .limit(limit)
        )
        if objective:
            q = q.where(Campaign.objective == objective)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

"""Brand guide and product knowledge (``prompts/knowledge/<lang>/*.md``) in a Chroma collection.

Paragraphs are indexed with the platform's embedding function and retrieved by meaning for
content generation; the collection is (re)built from the files on first use.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from userops.settings import Settings

COLLECTION = "userops_knowledge"


def knowledge_chunks() -> list[tuple[str, str, str]]:
    """Return ``(id, language, text)`` for every paragraph of the knowledge files."""
    out = []
    root = resources.files("prompts").joinpath("knowledge")
    for lang in ("zh", "en"):
        folder = root.joinpath(lang)
        for f in sorted(folder.iterdir(), key=lambda p: p.name):
            if not f.name.endswith(".md"):
                continue
            paras = [p.strip() for p in f.read_text("utf-8").split("\n\n")]
            for i, p in enumerate(x for x in paras if x and not x.startswith("#")):
                out.append((f"{lang}/{f.name}#{i}", lang, p))
    return out


class KnowledgeBase:
    """Retrieval over the brand guide and product knowledge."""

    def __init__(self, client: Any, embedding_function: Any) -> None:
        self.collection = client.get_or_create_collection(
            COLLECTION, embedding_function=embedding_function, metadata={"hnsw:space": "cosine"}
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> KnowledgeBase:
        """Open the knowledge collection of the configured Chroma."""
        from tools.chroma import chroma_client, embedding_function

        return cls(chroma_client(settings), embedding_function(settings))

    def index(self) -> int:
        """(Re)index the knowledge files; return the number of paragraphs."""
        chunks = knowledge_chunks()
        self.collection.upsert(
            ids=[c[0] for c in chunks],
            documents=[c[2] for c in chunks],
            metadatas=[{"language": c[1]} for c in chunks],
        )
        return len(chunks)

    def retrieve(self, query: str, language: str, k: int = 3) -> list[str]:
        """Return the ``k`` paragraphs in ``language`` closest to ``query``."""
        if self.collection.count() == 0:
            self.index()
        res = self.collection.query(query_texts=[query], n_results=k, where={"language": language})
        docs: list[str] = (res.get("documents") or [[]])[0]
        return docs

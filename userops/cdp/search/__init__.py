"""Profile search: summaries, offline embeddings, the Chroma index."""

from userops.cdp.search.embed_static import (
    DENSE_DIMS,
    LEX_DIMS,
    TABLE,
    StaticEmbedding,
    clauses,
    dense_clause,
)
from userops.cdp.search.embeddings import (
    EMBEDDINGS,
    HashingEmbedding,
    OpenAIEmbedding,
    get_embedding_function,
)
from userops.cdp.search.index import ProfileSearch, chroma_client
from userops.cdp.search.summaries import build_summaries, render_summary, summary_hash
from userops.cdp.search.summary_vocab import ZH

__all__ = [
    "DENSE_DIMS",
    "EMBEDDINGS",
    "HashingEmbedding",
    "LEX_DIMS",
    "OpenAIEmbedding",
    "ProfileSearch",
    "StaticEmbedding",
    "TABLE",
    "ZH",
    "build_summaries",
    "chroma_client",
    "clauses",
    "dense_clause",
    "get_embedding_function",
    "render_summary",
    "summary_hash",
]

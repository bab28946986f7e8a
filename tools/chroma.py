"""Chroma access with our own embedding function (never Chroma's downloading default)."""

from __future__ import annotations

from typing import Any

from userops.settings import Settings


def chroma_client(settings: Settings) -> Any:
    """Return the platform's Chroma client (``userops.cdp.search.index.chroma_client``)."""
    from userops.cdp.search.index import chroma_client as platform_client

    return platform_client(settings)


def embedding_function(settings: Settings) -> Any:
    """Return the platform's embedding function (``userops.cdp.search.embeddings``)."""
    from userops.cdp.search.embeddings import get_embedding_function

    return get_embedding_function(settings)

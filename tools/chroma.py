"""Chroma access with our own embedding function (never Chroma's downloading default)."""

from __future__ import annotations

from typing import Any

from userops.settings import Settings


def chroma_client(settings: Settings) -> Any:
    """Return the platform's Chroma client (``userops.cdp.search.chroma_client``)."""
    from userops.cdp.search import chroma_client as platform_client

    return platform_client(settings)


def embedding_function(settings: Settings) -> Any:
    """Return the platform's embedding function (``userops.cdp.embeddings``)."""
    from userops.cdp.embeddings import get_embedding_function

    return get_embedding_function(settings)

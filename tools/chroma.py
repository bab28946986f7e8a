"""Chroma access with our own embedding function (never Chroma's downloading default)."""

from __future__ import annotations

from typing import Any

from userops.settings import Settings


def chroma_client(settings: Settings) -> Any:
    """Return a Chroma client: HTTP when ``chroma_url`` is set, else a local directory."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "localhost", port=url.port or 8000, settings=chroma_settings
        )
    path = settings.home / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def embedding_function(settings: Settings) -> Any:
    """Return the platform's embedding function (``userops.cdp.embeddings``)."""
    from userops.cdp.embeddings import get_embedding_function

    return get_embedding_function(settings)

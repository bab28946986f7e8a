"""The chat model from settings: ``ChatOpenAI`` against any OpenAI-compatible endpoint.

Pitfalls handled here (DESIGN.md): compatible servers need ``use_responses_api=False``;
structured output uses function calling (DeepSeek rejects ``json_schema``); the openai SDK
already retries twice, so nothing here adds another retry loop on top of it.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable

from userops.settings import Settings

SDK_RETRIES = 2
"""Retries done by the openai SDK itself (the only retry layer)."""


def chat_model(
    settings: Settings, *, temperature: float = 0.2, timeout: float = 60.0
) -> BaseChatModel | None:
    """Return the configured chat model, or ``None`` when no model is set (offline mode)."""
    if not settings.llm_configured:
        return None
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    return ChatOpenAI(
        model=settings.llm_model or "",
        base_url=settings.llm_base_url,
        api_key=SecretStr(settings.llm_api_key or "not-needed"),
        temperature=temperature,
        timeout=timeout,
        max_retries=SDK_RETRIES,
        use_responses_api=False,
    )


def structured(model: BaseChatModel, schema: type[Any]) -> Runnable[Any, Any]:
    """Return ``model`` answering with ``schema`` through function calling."""
    return model.with_structured_output(schema, method="function_calling")

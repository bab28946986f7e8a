"""The chat model from settings: ``ChatOpenAI`` against any OpenAI-compatible endpoint.

Pitfalls handled here: compatible servers need ``use_responses_api=False``;
structured output uses function calling (DeepSeek rejects ``json_schema``).

Retries have ONE layer: the openai SDK's own (``max_retries=SDK_RETRIES``: 429, 408, 409,
5xx, timeouts and connection errors, exponential backoff that honours ``Retry-After``).
Nothing here loops on top of it; :func:`invoke_model` turns what is left after those tries
(and an unreadable response body, which the SDK does not retry) into
:class:`~userops.errors.ModelUnavailable` with a message for the operator. A malformed or
truncated *answer* (bad tool arguments) is not a transport fault: the planner sends it back
to the model as an error within its step budget.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable

from userops.errors import ModelUnavailable
from userops.settings import Settings

SDK_RETRIES = 2
"""Retries done by the openai SDK itself (the only retry layer)."""


def chat_model(
    settings: Settings, *, temperature: float = 0.2, timeout: float | None = None
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
        timeout=settings.llm_timeout_s if timeout is None else timeout,
        max_retries=SDK_RETRIES,
        use_responses_api=False,
    )


def structured(model: BaseChatModel, schema: type[Any]) -> Runnable[Any, Any]:
    """Return ``model`` answering with ``schema`` through function calling."""
    return model.with_structured_output(schema, method="function_calling")


def invoke_model(runnable: Runnable[Any, Any], messages: Any, *, what: str) -> Any:
    """``runnable.invoke(messages)``; a model that cannot answer raises ModelUnavailable.

    Raises:
        ModelUnavailable: rate limited, server error, timeout or connection error after the
            SDK's retries, or a response body that is not JSON; ``what`` names the request.
    """
    import openai

    try:
        return runnable.invoke(messages)
    except openai.APIStatusError as exc:
        reason = f"HTTP {exc.status_code}: {_short(exc.message)}"
        raise _unavailable(what, reason) from exc
    except openai.APITimeoutError as exc:
        raise _unavailable(what, "the request timed out") from exc
    except openai.APIConnectionError as exc:
        raise _unavailable(what, f"cannot connect ({_short(str(exc))})") from exc
    except (openai.APIError, json.JSONDecodeError) as exc:
        raise _unavailable(what, f"unreadable response ({_short(str(exc))})") from exc


def _short(text: str) -> str:
    return " ".join(text.split())[:120]


def _unavailable(what: str, reason: str) -> ModelUnavailable:
    return ModelUnavailable(
        f"the chat model did not answer the {what}: {reason}, after {SDK_RETRIES + 1} tries."
        " Nothing was planned or sent; the thread is kept: run it again when the model"
        " endpoint (USEROPS_LLM_BASE_URL) is back."
    )

"""Operator-facing lines of the loop (``loop.*`` in ``prompts/messages/``; not LLM prompts)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from prompts.catalog import LANGUAGES
from prompts.catalog import say as catalog_say


def line(key: str, lang: str | None, **kw: Any) -> str:
    """Return the line ``loop.<key>`` in ``lang`` (default Chinese) formatted with ``kw``."""
    return catalog_say(f"loop.{key}", lang if lang in LANGUAGES else "zh", **kw)


def say(key: str, lang: str | None, **kw: Any) -> AIMessage:
    """Return the line ``key`` as an assistant message."""
    return AIMessage(content=line(key, lang, **kw), name="userops")

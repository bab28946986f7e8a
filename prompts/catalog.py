"""Operator-facing text as files: ``prompts/messages/<language>.yaml``, looked up by key.

These are the lines an operator reads (findings, progress, refusals), not LLM prompts (those are
:mod:`prompts.loader`). Both languages hold the same keys and placeholders (a test checks it).
Placeholders are named (``{items}``, ``{uplift:+.2%}``); a missing value or an unknown key is a
developer error (:class:`UsageError`).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

from userops.errors import UsageError

LANGUAGES = ("zh", "en")


@lru_cache(maxsize=len(LANGUAGES))
def catalog(language: str) -> dict[str, str]:
    """Return every line of ``prompts/messages/<language>.yaml`` by key."""
    if language not in LANGUAGES:
        raise UsageError(f"unknown message language {language!r}; known: {', '.join(LANGUAGES)}")
    path = resources.files("prompts").joinpath(f"messages/{language}.yaml")
    table = yaml.safe_load(path.read_text("utf-8"))
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise UsageError(f"prompts/messages/{language}.yaml: expected a mapping of key to text")
    return {str(k): v for k, v in table.items()}


def say(key: str, lang: str | None, **values: object) -> str:
    """Return the line ``key`` in ``lang`` (Chinese when ``None``) filled with ``values``.

    Raises:
        UsageError: ``key`` is not in the catalog, or a placeholder has no value.
    """
    language = lang or "zh"
    table = catalog(language)
    if key not in table:
        raise UsageError(f"no message {key!r} in prompts/messages/{language}.yaml")
    try:
        return table[key].format_map(values)
    except KeyError as exc:
        raise UsageError(f"message {language}/{key}: no value for {exc.args[0]!r}") from None

"""The operator-facing message catalog: both languages agree, and lookups fail loudly."""

from __future__ import annotations

import pytest

from prompts.catalog import catalog, say
from prompts.loader import placeholders
from userops.errors import UsageError

ONE_SIDED = {"check.window_quiet"}
"""English reuses the dispatch engine's own sentence ``{problem}``; Chinese names the window."""


def test_both_languages_have_the_same_keys() -> None:
    assert catalog("zh").keys() == catalog("en").keys()
    assert len(catalog("zh")) > 40


def test_every_placeholder_appears_in_both_languages() -> None:
    zh, en = catalog("zh"), catalog("en")
    differ = {k for k in zh if k not in ONE_SIDED and placeholders(zh[k]) != placeholders(en[k])}
    assert differ == set()


def test_say_fills_named_placeholders_with_format_specs() -> None:
    assert say("check.over_budget", "en", estimate=12.345, budget=10.0) == (
        "estimated cost 12.35 exceeds the budget 10"
    )
    assert say("check.over_budget", "zh", estimate=1, budget=2) == "预计花费 1.00 超出预算 2"
    assert say("check.no_holdout", None) == "缺少对照组"


def test_unknown_key_missing_value_and_unknown_language_are_named() -> None:
    with pytest.raises(UsageError, match=r"no message 'check\.nope' in prompts/messages/en\.yaml"):
        say("check.nope", "en")
    with pytest.raises(UsageError, match=r"en/check\.over_cap: no value for 'cap'"):
        say("check.over_cap", "en", total=3)
    with pytest.raises(UsageError, match="unknown message language 'fr'"):
        say("check.no_holdout", "fr")

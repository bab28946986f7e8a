import pytest

from prompts.loader import load_prompt, placeholders, render_prompt
from userops.errors import UsageError

NAMES = ["planner_system", "planner_task", "planner_finalize", "content", "judge"]


@pytest.mark.parametrize("name", NAMES)
def test_zh_and_en_prompts_have_the_same_placeholders(name):
    assert placeholders(load_prompt(name, "zh")) == placeholders(load_prompt(name, "en"))


def test_missing_or_unknown_placeholder_is_a_developer_error():
    with pytest.raises(UsageError, match="missing"):
        render_prompt("judge", "en", goal="g")
    with pytest.raises(UsageError, match="unknown"):
        render_prompt("judge", "en", goal="g", plan="p", extra="x")
    with pytest.raises(UsageError):
        load_prompt("nope", "en")
    with pytest.raises(UsageError):
        load_prompt("judge", "fr")


def test_values_are_redacted():
    text = render_prompt("judge", "en", goal="mail me at x@y.com", plan="13800138000")
    assert "x@y.com" not in text and "13800138000" not in text
    assert "{name}" in render_prompt("planner_system", "en")

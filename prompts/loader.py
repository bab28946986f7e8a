"""Prompt templates as files: ``prompts/<language>/<name>.md``, loaded by name.

Placeholders are named (``{goal}``, ``{persona}``); literal braces are doubled. Rendering with a
missing or an unknown placeholder is a developer error (:class:`UsageError`). Every value is
fenced as untrusted data on the way in (:func:`prompts.fence.fence`: redacted, length-limited,
unable to close its fence), unless it is plain :class:`prompts.fence.Trusted` text the code
base built itself, so no phone number, email or openid reaches a model through a prompt and no
value can pass for an instruction.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from string import Formatter

from prompts.fence import prompt_value
from userops.errors import UsageError

LANGUAGES = ("zh", "en")


@lru_cache(maxsize=64)
def load_prompt(name: str, language: str) -> str:
    """Return the raw template ``prompts/<language>/<name>.md``."""
    if language not in LANGUAGES:
        raise UsageError(f"unknown prompt language {language!r}; known: {', '.join(LANGUAGES)}")
    path = resources.files("prompts").joinpath(f"{language}/{name}.md")
    if not path.is_file():
        raise UsageError(f"no prompt {language}/{name}.md")
    return path.read_text("utf-8")


def placeholders(template: str) -> set[str]:
    """Return the placeholder names used in ``template``."""
    return {field for _, field, _, _ in Formatter().parse(template) if field}


def render_prompt(name: str, language: str, **values: object) -> str:
    """Fill the template ``name`` in ``language`` with ``values`` (each fenced unless trusted).

    Raises:
        UsageError: A placeholder has no value, or a value has no placeholder.
    """
    template = load_prompt(name, language)
    wanted = placeholders(template)
    missing, unknown = wanted - values.keys(), values.keys() - wanted
    if missing or unknown:
        raise UsageError(
            f"prompt {language}/{name}: missing {sorted(missing)}, unknown {sorted(unknown)}"
        )
    return template.format(**{k: prompt_value(v) for k, v in values.items()})

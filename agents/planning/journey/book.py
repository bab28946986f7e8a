"""The journey playbooks and content themes, loaded by name from ``playbooks.yaml``.

Lifecycle playbooks (new → guided onboarding and first-order benefit; growing → advanced
usage and community; mature → exclusive perks and co-creation; churn risk → check-in and
personalised win-back) and the moments (welcome, abandoned cart, birthday, post-purchase,
churn-risk entry, replenishment) are data: a trigger, default steps, goal event, re-entry
rule and limits; each send names a theme whose copy exists in Chinese and English.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from userops.errors import UsageError


class Copy(BaseModel):
    """One theme's copy in one language."""

    model_config = ConfigDict(extra="forbid")
    headline: str
    angle: str
    cta: str
    cta_plain: str | None = None
    """The call to action without ``{offer}`` (when the goal excludes offers)."""


class Theme(BaseModel):
    """What one send says: persona, the goal words that ask for it, copy per language."""

    model_config = ConfigDict(extra="forbid")
    persona: str
    words: list[str]
    offer: str | None = None
    """Key of the ``{offer}`` value in :attr:`Book.offers` (None: no offer)."""
    zh: Copy
    en: Copy

    def copy_in(self, language: str) -> Copy:
        """The copy in ``language`` (``zh`` or ``en``)."""
        return self.zh if language == "zh" else self.en


class Playbook(BaseModel):
    """One journey playbook."""

    model_config = ConfigDict(extra="forbid")
    stage: str
    words: list[str]
    trigger: dict[str, Any]
    goal: str | None
    reentry: dict[str, Any]
    limits: dict[str, Any]
    steps: list[dict[str, Any]] = Field(min_length=1)


class Book(BaseModel):
    """Every playbook and theme."""

    model_config = ConfigDict(extra="forbid")
    playbooks: dict[str, Playbook]
    default_goal_event: str
    offers: dict[str, dict[str, str]]
    themes: dict[str, Theme]

    def playbook(self, name: str) -> Playbook:
        """The playbook ``name`` (UsageError naming the known ones)."""
        if name not in self.playbooks:
            known = ", ".join(self.playbooks)
            raise UsageError(f"no journey playbook {name!r}; known: {known}")
        return self.playbooks[name]

    def offer(self, key: str, language: str) -> str:
        """The default ``{offer}`` value ``key`` in ``language``."""
        table = self.offers["zh" if language == "zh" else "en"]
        return table.get(key, table["offer"])


@lru_cache(maxsize=1)
def book() -> Book:
    """Load ``playbooks.yaml`` (once)."""
    path = resources.files("agents.planning.journey").joinpath("playbooks.yaml")
    data = yaml.safe_load(path.read_text("utf-8"))
    found = Book.model_validate(data)
    for name, pb in found.playbooks.items():
        for step in pb.steps:
            theme = step.get("send")
            if theme is not None and theme not in found.themes:
                raise UsageError(f"playbook {name}: unknown theme {theme!r}")
    return found


def pick_playbook(text: str) -> str | None:
    """The first playbook whose words occur in ``text`` (lowercased), or None."""
    low = text.lower()
    for name, pb in book().playbooks.items():
        if any(w in low for w in pb.words):
            return name
    return None


def pick_theme(text: str) -> str | None:
    """The theme whose words occur first in ``text`` (lowercased), or None."""
    low = text.lower()
    best: tuple[int, str] | None = None
    for name, theme in book().themes.items():
        for w in theme.words:
            at = low.find(w)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, name)
    return best[1] if best else None

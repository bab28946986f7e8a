"""The services a tool needs, injected once: store engine, settings, segment and dispatch hooks.

Tools never reach for globals. The default hooks import the platform modules lazily
(``userops.cdp.segments.service``, ``userops.dispatch.engine``, ``userops.cdp.search.index``);
tests pass their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from userops.cdp.segments.spec import SegmentSpec
from userops.dispatch.models import DispatchStep, PreflightReport
from userops.settings import Settings

if TYPE_CHECKING:
    from tools.knowledge import KnowledgeBase
    from tools.memory import LessonMemory
    from userops.dispatch.policy import Policy

SegmentFn = Callable[[Engine, SegmentSpec], list[int]]
PreflightFn = Callable[[Engine, DispatchStep], PreflightReport]


@dataclass
class ToolContext:
    """Everything the tools run against; build one per request or graph run."""

    engine: Engine
    """The store."""
    settings: Settings = field(default_factory=Settings)
    """Platform settings (model, Chroma, policy file)."""
    segment_fn: SegmentFn | None = None
    """Segment evaluation; default ``userops.cdp.segments.service.segment_user_ids``."""
    preflight_fn: PreflightFn | None = None
    """Dispatch pre-flight; default ``userops.dispatch.engine.preflight``."""
    search: Any = None
    """Profile search with ``search(text, k)`` / ``search_ids(text, k)``; default built lazily."""
    memory: LessonMemory | None = None
    """Lessons and past campaigns (Chroma + the lessons table)."""
    knowledge: KnowledgeBase | None = None
    """Brand guide and product knowledge (Chroma)."""
    now_ts: int | None = None
    """Clock override for pre-flight (UTC epoch seconds)."""
    policy: Policy | None = None
    """The run's dispatch policy, loaded once per run; None: loaded from
    ``settings.policy_file`` on first use (:meth:`run_policy`) and kept."""

    def run_policy(self) -> Policy:
        """Return the run's policy (the one given, else loaded once from the settings)."""
        if self.policy is None:
            from userops.dispatch.policy import Policy

            self.policy = Policy.load(self.settings.policy_file)
        return self.policy

    def segment_ids(self, spec: SegmentSpec) -> list[int]:
        """Return the canonical user ids in ``spec``, sorted."""
        if self.segment_fn is not None:
            return sorted(self.segment_fn(self.engine, spec))
        from userops.cdp.segments.service import segment_user_ids

        searcher = None
        if spec.search:
            searcher = self.profile_search().search_ids
        return sorted(segment_user_ids(self.engine, spec, searcher=searcher))

    def preflight(self, step: DispatchStep) -> PreflightReport:
        """Run the dispatch pre-flight for ``step`` (writes nothing)."""
        if self.preflight_fn is not None:
            return self.preflight_fn(self.engine, step)
        from userops.dispatch.engine import preflight

        return preflight(self.engine, step, policy=self.run_policy(), now_ts=self.now_ts)

    def with_chroma(self) -> ToolContext:
        """Attach lessons memory and the knowledge base of the configured Chroma; return self."""
        from tools.knowledge import KnowledgeBase
        from tools.memory import LessonMemory

        if self.memory is None:
            self.memory = LessonMemory.from_settings(self.engine, self.settings)
        if self.knowledge is None:
            self.knowledge = KnowledgeBase.from_settings(self.settings)
        return self

    def profile_search(self) -> Any:
        """Return the profile search service, building the default one on first use."""
        if self.search is None:
            from userops.cdp.search.index import ProfileSearch

            self.search = ProfileSearch(self.engine, self.settings)
        return self.search

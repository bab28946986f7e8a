"""LangChain tools for the LLM planner, bound to one :class:`ToolContext`.

Each tool wraps a plain typed function of this package; its docstring is the spec the model
reads. Errors the model can fix (an invalid segment) come back as the tool's answer, so the
model can retry; every answer holding stored text (imported trait values, summaries, past
plan names, lessons) is fenced by :func:`prompts.fence.fence`; the static trait catalog and
the computed estimate are not.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from prompts.fence import fence
from tools import dispatch, profiles, segments
from tools.context import ToolContext
from tools.dispatch import EstimateArgs
from userops.errors import BadInput, ModelRetry


class NoArgs(BaseModel):
    """No arguments."""


class SegmentArgs(BaseModel):
    """A segment to look at."""

    segment: dict[str, Any]
    """Segment JSON: ``{"all": [...], "any": [...], "none": [...]}`` over catalog fields."""


class LessonArgs(BaseModel):
    """What past lessons to look for."""

    query: str = Field(min_length=1, max_length=300)
    """Topic, e.g. ``win-back high value sms``."""
    k: int = Field(default=3, ge=1, le=10)
    """How many lessons."""


class CampaignArgs(BaseModel):
    """Which past campaigns to list."""

    objective: str = ""
    """Only campaigns of this objective (empty: all)."""


ANSWER_LIMIT = 20_000
"""Longest fenced tool answer (characters)."""
_CAMPAIGNS_DOC = "The latest campaigns (name, objective, status, budget, spent), newest first."


def _json(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    return json.dumps(value, ensure_ascii=False, default=str)


def _safe(fn: Any) -> Any:
    def run(**kwargs: Any) -> str:
        try:
            return str(fn(**kwargs))
        except (BadInput, ModelRetry, ValueError) as exc:
            return f"error: {exc}"

    return run


def make_tools(ctx: ToolContext) -> list[BaseTool]:
    """Return the planner's tools bound to ``ctx``."""
    from userops.cdp.segments.service import parse_spec

    def catalog() -> str:
        return _json(segments.trait_catalog())

    def overview() -> str:  # trait values come from imported data: fenced like the rest
        return fence(_json(segments.population_overview(ctx)), limit=ANSWER_LIMIT)

    def preview(segment: dict[str, Any]) -> str:
        spec = parse_spec(segment, source="preview_segment")
        got = segments.preview_segment(ctx, segments.PreviewArgs(segment=spec))
        return fence(_json(got), limit=ANSWER_LIMIT)

    def search(query: str, k: int = 5) -> str:
        hits = profiles.search_profiles(ctx, profiles.SearchProfilesArgs(query=query, k=k))
        return fence(_json(hits), limit=ANSWER_LIMIT)

    def lessons(query: str, k: int = 3) -> str:
        if ctx.memory is None:
            return "[]"
        return fence(_json(ctx.memory.search(query, k=k)), limit=ANSWER_LIMIT)

    def campaigns(objective: str = "") -> str:
        if ctx.memory is None:
            return "[]"
        return fence(_json(ctx.memory.past_campaigns(objective or None)), limit=ANSWER_LIMIT)

    def estimate(**kwargs: Any) -> str:
        return _json(dispatch.estimate_dispatch(ctx, EstimateArgs(**kwargs)))

    specs: list[tuple[Any, str, str, type[BaseModel]]] = [
        (catalog, "trait_catalog", segments.trait_catalog.__doc__ or "", NoArgs),
        (overview, "population_overview", segments.population_overview.__doc__ or "", NoArgs),
        (preview, "preview_segment", segments.preview_segment.__doc__ or "", SegmentArgs),
        (
            search,
            "search_profiles",
            profiles.search_profiles.__doc__ or "",
            profiles.SearchProfilesArgs,
        ),
        (
            lessons,
            "past_lessons",
            "Lessons learned from past campaigns, most similar first.",
            LessonArgs,
        ),
        (campaigns, "past_campaigns", _CAMPAIGNS_DOC, CampaignArgs),
        (estimate, "estimate_dispatch", dispatch.estimate_dispatch.__doc__ or "", EstimateArgs),
    ]
    return [
        StructuredTool.from_function(
            func=_safe(fn), name=name, description=_llm_doc(doc), args_schema=schema
        )
        for fn, name, doc, schema in specs
    ]


def _llm_doc(doc: str) -> str:
    """Keep the summary and ``Returns`` of a docstring (``ctx``/``args`` are plumbing)."""
    keep = [line.strip() for line in doc.strip().splitlines() if "ctx:" not in line]
    return " ".join(line for line in keep if line and line != "Args:")

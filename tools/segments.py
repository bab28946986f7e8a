"""Segment tools: the trait catalog, a population overview and an audience preview.

The preview counts personas (``content_affinity``), reachable channels and lifecycle stages of
an audience. Beyond ``SAMPLE`` users it reads an evenly spaced sample and scales the counts,
so a preview of a million-user audience stays a handful of queries.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select

from tools.context import ToolContext
from tools.profiles import reach_of
from userops.cdp.segments.spec import SegmentSpec
from userops.store.models import Trait

SAMPLE = 5000


class AudienceStats(BaseModel):
    """Who is in an audience, in counts (no personal data)."""

    size: int
    """Number of users."""
    personas: dict[str, int] = Field(default_factory=dict)
    """Users per content affinity (``none`` when unknown)."""
    reachable: dict[str, int] = Field(default_factory=dict)
    """Users reachable per channel."""
    lifecycle: dict[str, int] = Field(default_factory=dict)
    """Users per lifecycle stage."""
    languages: dict[str, int] = Field(default_factory=dict)
    """Users per profile language (``none`` when unknown)."""
    sampled: bool = False
    """Whether the counts were scaled from a sample."""


class PreviewArgs(BaseModel):
    """Arguments of :func:`preview_segment`."""

    segment: SegmentSpec
    """The audience: ``{"all": [...], "any": [...], "none": [...]}`` over catalog fields."""


def trait_catalog() -> dict[str, Any]:
    """List the trait fields a segment may filter on, with types and allowed values.

    Returns:
        Field name → type, description, allowed values and operators.
    """
    from userops.cdp.traits.catalog import catalog_as_dict

    return catalog_as_dict()


def audience_stats(ctx: ToolContext, ids: list[int]) -> AudienceStats:
    """Return persona, channel and lifecycle counts of the users ``ids``."""
    sample = ids if len(ids) <= SAMPLE else ids[:: max(1, len(ids) // SAMPLE)][:SAMPLE]
    scale = len(ids) / len(sample) if sample else 1.0
    personas: Counter[str] = Counter()
    reachable: Counter[str] = Counter()
    lifecycle: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    for r in reach_of(ctx, sample).values():
        personas[r.persona or "none"] += 1
        languages[r.language or "none"] += 1
        lifecycle[r.lifecycle or "none"] += 1
        reachable.update(r.reachable)

    def scaled(c: Counter[str]) -> dict[str, int]:
        return {k: round(v * scale) for k, v in c.most_common()}

    return AudienceStats(
        size=len(ids),
        personas=scaled(personas),
        reachable=scaled(reachable),
        lifecycle=scaled(lifecycle),
        languages=scaled(languages),
        sampled=len(sample) < len(ids),
    )


def preview_segment(ctx: ToolContext, args: PreviewArgs) -> AudienceStats:
    """Count an audience before using it: size, personas, reachable channels, lifecycle.

    Args:
        ctx: Injected services.
        args: The segment to preview.

    Returns:
        Counts only, never personal data.
    """
    return audience_stats(ctx, ctx.segment_ids(args.segment))


def population_overview(ctx: ToolContext) -> dict[str, dict[str, int]]:
    """Describe the whole population: users per lifecycle stage, LTV tier and persona.

    Args:
        ctx: Injected services.

    Returns:
        Counts per value of ``lifecycle_stage``, ``ltv_tier`` and ``content_affinity``.
    """
    out: dict[str, dict[str, int]] = {}
    with ctx.engine.connect() as conn:
        for name in ("lifecycle_stage", "ltv_tier", "content_affinity"):
            col = getattr(Trait, name)
            rows = conn.execute(select(col, func.count()).group_by(col))
            out[name] = {str(v): int(n) for v, n in rows}
    return out

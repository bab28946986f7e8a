"""Segment preview: size, reach and distributions of a segment spec (no contact data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from userops.api.deps import AnyUser, EngineDep
from userops.api.loop import jsonable

router = APIRouter(prefix="/v1/segments", tags=["segments"])


@router.post("/preview")
def preview(
    _user: AnyUser,
    engine: EngineDep,
    spec: dict[str, Any] = Body(..., examples=[{"all": [{"field": "ltv_tier", "eq": "high"}]}]),
) -> dict[str, Any]:
    """Preview a segment spec; an invalid field is named in a 422."""
    from userops.cdp.segments.service import parse_spec, preview_segment

    parsed = parse_spec(spec, source="body")
    return jsonable(preview_segment(engine, parsed))  # type: ignore[no-any-return]

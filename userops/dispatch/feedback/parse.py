"""Shared parsing of callback bodies: JSON, pydantic validation into located problems."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from userops.errors import BadInput, Problem

M = TypeVar("M", bound=BaseModel)
MAX_ITEMS = 1000
"""Most items one callback request may carry."""


def _path(loc: Sequence[Any]) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _value(data: Any, loc: Sequence[Any]) -> Any:
    for p in loc:
        if isinstance(data, dict):
            data = data.get(p)
        elif isinstance(data, list) and isinstance(p, int) and 0 <= p < len(data):
            data = data[p]
        else:
            return None
    if isinstance(data, str) and len(data) > 80:
        return data[:80] + "…"
    return data if isinstance(data, str | int | float | bool) or data is None else str(data)[:80]


def problems(
    exc: ValidationError, data: Any, source: str, prefix: Sequence[Any] = ()
) -> list[Problem]:
    """Located problems of a validation error (``[3].phone_number``, ``events[0].ts``)."""
    out = []
    for e in exc.errors():
        loc = [*prefix, *e["loc"]]
        out.append(Problem(e["msg"], field=_path(loc), value=_value(data, loc), source=source))
    return out


def json_body(body: bytes, source: str) -> Any:
    """The JSON document of ``body``; ``BadInput`` (at ``$``) when it is not JSON."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadInput.one(f"not JSON: {exc}", field="$", source=source) from None


def items(data: Any, model: type[M], source: str, key: str | None = None) -> list[M]:
    """Validate a list of ``model`` (the body itself, or ``data[key]``).

    Every problem found is raised together, located (``BadInput``).
    """
    prefix: list[Any] = [] if key is None else [key]
    raw = data
    if key is not None:
        if not isinstance(data, dict):
            raise BadInput.one("expected a JSON object", field="$", source=source)
        raw = data.get(key)
    where = key or "$"
    if not isinstance(raw, list):
        raise BadInput.one("expected a JSON array", field=where, source=source)
    if not raw:
        raise BadInput.one("no items", field=where, source=source)
    if len(raw) > MAX_ITEMS:
        raise BadInput.one(f"more than {MAX_ITEMS} items", field=where, source=source)
    out: list[M] = []
    found: list[Problem] = []
    for i, item in enumerate(raw):
        try:
            out.append(model.model_validate(item))
        except ValidationError as exc:
            found += problems(exc, data, source, [*prefix, i])
    if found:
        raise BadInput(found[:100], total=len(found))
    return out

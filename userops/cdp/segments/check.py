"""Semantic validation of a :class:`~userops.cdp.segments.spec.SegmentSpec` against the catalog.

Pydantic checks the shape; this module checks the meaning: the field exists in the trait
catalog, the operator suits the field's type, the value has the right type (an enum value is
one of the allowed values), the event type exists, event property conditions are well formed.
Every problem names its JSON path (``all[1].field``) and value, and says what is valid.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from userops.cdp.segments.spec import EventPredicate, SegmentSpec, TraitPredicate
from userops.cdp.traits.catalog import TRAIT_CATALOG, CatalogField
from userops.domain import CHANNELS, EVENT_TYPES
from userops.errors import Problem

WHERE_OPS: tuple[str, ...] = ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "contains", "exists")
"""Operators of an event property condition ``{"prop": {"op": OP, "value": V}}``."""
EVENT_COLUMNS: dict[str, str] = {
    "channel": "enum",
    "amount": "float",
    "quantity": "int",
    "campaign_id": "string",
}
"""Event columns usable in ``where`` besides JSON properties, with their types."""
_PROP_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_Scalar = str | int | float | bool
INT64 = 2**63
"""Integers are 64-bit in both stores: ``-INT64 <= n < INT64``."""
MAX_WITHIN_DAYS = 36_500
"""Longest event look-back (100 years): ``as_of - within_days * 86400`` stays a timestamp."""


def valid_fields() -> str:
    """Return the catalog field names, comma-separated (for error messages)."""
    return ", ".join(TRAIT_CATALOG)


def to_epoch(value: Any) -> float:
    """Convert a timestamp operand (epoch seconds or ISO-8601 text, UTC if naive) to epoch.

    Raises:
        ValueError: the text is not ISO-8601.
    """
    if isinstance(value, str):
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt.timestamp()
    return float(value)


def _scalar_problem(name: str, f: CatalogField, value: Any) -> str | None:
    """Return why ``value`` is not a valid operand of field ``name``, or ``None``."""
    if f.type in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{name} is a number ({f.type}); got {type(value).__name__}"
        return None
    if f.type == "timestamp":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return f"{name} is a timestamp (epoch seconds or ISO-8601 text)"
        try:
            to_epoch(value)
        except ValueError:
            return f"{name} is a timestamp; {value!r} is not ISO-8601"
        return None
    if not isinstance(value, str):
        return f"{name} is text ({f.type}); got {type(value).__name__}"
    if f.values is not None and value not in f.values:
        return f"unknown value for {name}; allowed values: {', '.join(f.values)}"
    return None


def _operand_problem(name: str, f: CatalogField, op: str, value: Any) -> str | None:
    """Return why ``value`` does not suit ``op`` on field ``name``, or ``None``."""
    if op == "exists":
        ok = value is None or isinstance(value, bool)
        return None if ok else "exists takes true, false or nothing"
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            return f"{op} takes a non-empty list of values"
        return next((p for v in value if (p := _scalar_problem(name, f, v))), None)
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            return "between takes a list [lo, hi]"
        problem = next((p for v in value if (p := _scalar_problem(name, f, v))), None)
        if problem is None and to_epoch(value[0]) > to_epoch(value[1]):
            return "between takes [lo, hi] with lo <= hi"
        return problem
    if value is None:
        return f"{op} needs a value (use exists to test for a missing value)"
    if f.type == "list":
        if not isinstance(value, str) or not value or "," in value:
            return f"{name} {op} takes one element (text without commas)"
        if f.values is not None and value not in f.values:
            return f"unknown value for {name}; allowed values: {', '.join(f.values)}"
        return None
    return _scalar_problem(name, f, value)


def check_trait(p: TraitPredicate, path: str) -> list[Problem]:
    """Check one trait predicate at JSON path ``path``."""
    f = TRAIT_CATALOG.get(p.field)
    if f is None:
        reason = f"unknown field; valid fields: {valid_fields()}"
        return [Problem(reason, field=f"{path}.field", value=p.field)]
    if p.op not in f.ops:
        reason = f"operator not valid for {p.field} ({f.type}); valid operators: {', '.join(f.ops)}"
        return [Problem(reason, field=f"{path}.op", value=p.op)]
    if f.type == "list" and p.op == "in":
        if not isinstance(p.value, list) or not p.value:
            return [Problem("in takes a non-empty list", field=f"{path}.value", value=p.value)]
        for v in p.value:
            if problem := _operand_problem(p.field, f, "contains", v):
                return [Problem(problem, field=f"{path}.value", value=p.value)]
        return []
    problem = _operand_problem(p.field, f, p.op, p.value)
    return [Problem(problem, field=f"{path}.value", value=p.value)] if problem else []


def _where_value_problem(key: str, op: str, value: Any) -> str | None:
    col_type = EVENT_COLUMNS.get(key)
    if op == "exists":
        return None if value is None or isinstance(value, bool) else "exists takes true or false"
    values = value if op in ("in", "not_in") else [value]
    if op in ("in", "not_in") and (not isinstance(value, list) or not value):
        return f"{op} takes a non-empty list"
    for v in values:
        if isinstance(v, list | dict) or v is None:
            return "a property condition compares with a scalar (text, number, true/false)"
        numeric = isinstance(v, int | float) and not isinstance(v, bool)
        if col_type in ("float", "int") and not numeric:
            return f"{key} is a number"
        if col_type in ("enum", "string") and not isinstance(v, str):
            return f"{key} is text"
        if col_type == "enum" and v not in CHANNELS:
            return f"unknown channel; allowed values: {', '.join(CHANNELS)}"
        if op in ("<", "<=", ">", ">=") and not numeric:
            return f"{op} compares numbers"
        if op == "contains" and not isinstance(v, str):
            return "contains takes text"
    return None


def where_items(where: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Normalize ``where`` to ``(key, op, value)`` triples (``{"k": v}`` means ``=``)."""
    out: list[tuple[str, str, Any]] = []
    for key, cond in where.items():
        if isinstance(cond, dict) and "op" in cond:
            out.append((key, str(cond["op"]), cond.get("value")))
        else:
            out.append((key, "=", cond))
    return out


def check_event(p: EventPredicate, path: str) -> list[Problem]:
    """Check one event predicate at JSON path ``path``."""
    problems: list[Problem] = []
    if p.event not in EVENT_TYPES:
        reason = f"unknown event type; valid event types: {', '.join(EVENT_TYPES)}"
        problems.append(Problem(reason, field=f"{path}.event", value=p.event))
    if p.within_days is not None and not 1 <= p.within_days <= MAX_WITHIN_DAYS:
        reason = f"must be 1 to {MAX_WITHIN_DAYS}"
        problems.append(Problem(reason, field=f"{path}.within_days", value=p.within_days))
    if p.count.value < 0:
        problems.append(Problem("must be >= 0", field=f"{path}.count.value", value=p.count.value))
    for key, cond in p.where.items():
        where_path = f"{path}.where.{key}"
        if not _PROP_KEY.match(key):
            problems.append(Problem("not a valid property name", field=where_path, value=key))
            continue
        if isinstance(cond, dict) and (set(cond) - {"op", "value"} or "op" not in cond):
            reason = 'a condition is a value or {"op": OP, "value": V}'
            problems.append(Problem(reason, field=where_path, value=cond))
            continue
        op = str(cond["op"]) if isinstance(cond, dict) else "="
        value = cond.get("value") if isinstance(cond, dict) else cond
        if op not in WHERE_OPS:
            reason = f"unknown operator; valid operators: {', '.join(WHERE_OPS)}"
            problems.append(Problem(reason, field=f"{where_path}.op", value=op))
        elif problem := _where_value_problem(key, op, value):
            problems.append(Problem(problem, field=where_path, value=value))
    return problems


def _value_problem(v: Any) -> tuple[str, Any] | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int) and not -INT64 <= v < INT64:
        return "out of range: integers are 64-bit (-2^63 to 2^63-1)", (
            ">= 2^63" if v > 0 else "< -2^63"
        )
    if isinstance(v, float) and not math.isfinite(v):
        return "not a finite number", str(v)
    if isinstance(v, str) and "\x00" in v:
        return "must not contain a NUL character", v[:40]
    return None


def value_problems(data: Any) -> list[Problem]:
    """Values no store can hold, by JSON path: integers past 64 bits, inf/NaN, text with NUL.

    Iterative, in document order; a key with a NUL is named by its parent's path.
    """
    problems: list[Problem] = []
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, v = stack.pop()
        if isinstance(v, dict):
            for k in v:
                if "\x00" in str(k):
                    problems.append(
                        Problem("must not contain a NUL character", field=path, value=str(k)[:40])
                    )
            stack.extend(
                (f"{path}.{k}" if path else str(k), item) for k, item in reversed(v.items())
            )
        elif isinstance(v, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(v))))
        elif (found := _value_problem(v)) is not None:
            problems.append(Problem(found[0], field=path or None, value=found[1]))
    return problems


def check_spec(spec: SegmentSpec, source: str | None = None) -> list[Problem]:
    """Return every semantic problem of ``spec`` (empty when it is valid)."""
    problems = value_problems(spec.model_dump(by_alias=True, exclude_none=True))
    if problems:
        return [Problem(p.reason, field=p.field, value=p.value, source=source) for p in problems]
    groups = (("all", spec.all_), ("any", spec.any_), ("none", spec.none))
    for name, preds in groups:
        for i, pred in enumerate(preds):
            path = f"{name}[{i}]"
            if isinstance(pred, TraitPredicate):
                problems.extend(check_trait(pred, path))
            else:
                problems.extend(check_event(pred, path))
    if spec.search is not None and not spec.search.strip():
        problems.append(Problem("search text is empty", field="search", value=spec.search))
    if source is not None:
        problems = [
            Problem(p.reason, field=p.field, value=p.value, source=source) for p in problems
        ]
    return problems

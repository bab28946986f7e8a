"""Parse a journey spec from JSON: shape errors located by JSON path, with the valid choices.

:func:`parse_journey` decodes the JSON, validates the shape with pydantic and the meaning
with :mod:`userops.journeys.check`; any problem raises :class:`~userops.errors.BadInput`
whose problems name the JSON path (``nodes[2].next``), the value and what is valid (the
node kinds, the keys of that object, the node ids...).
"""

from __future__ import annotations

import json
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from userops.cdp.segments.check import value_problems
from userops.errors import BadInput, Problem
from userops.journeys.check import check_journey
from userops.journeys.spec import JourneySpec

TRIGGER_KINDS = ("event", "segment", "anniversary", "lifecycle")
NODE_KINDS = ("send", "wait", "wait_for_event", "branch", "split", "exit")


def json_path(loc: tuple[int | str, ...]) -> str:
    """``("nodes", 2, "next")`` as ``nodes[2].next`` (odd keys quoted)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part.isidentifier():
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
        else:
            out += f".{part}" if out else part
    return out


def _clean(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """Drop the union tags pydantic puts in a location (``nodes.0.send.next``)."""
    out: list[int | str] = []
    for i, part in enumerate(loc):
        tag_of_trigger = i == 1 and loc[0] == "trigger" and part in TRIGGER_KINDS
        tag_of_node = i == 2 and loc[0] == "nodes" and part in NODE_KINDS
        if tag_of_trigger or tag_of_node or str(part).endswith("Predicate"):
            continue
        out.append(part)
    return tuple(out)


def _at(raw: Any, loc: tuple[int | str, ...]) -> Any:
    node = raw
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _models(ann: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through Optional, list, unions)."""
    origin = get_origin(ann)
    if origin is Annotated:
        return _models(get_args(ann)[0])
    if origin in (list, Union, types.UnionType):
        return [m for a in get_args(ann) for m in _models(a)]
    return [ann] if isinstance(ann, type) and issubclass(ann, BaseModel) else []


def _pick(models: list[type[BaseModel]], raw: Any) -> type[BaseModel] | None:
    if len(models) <= 1 or not isinstance(raw, dict):
        return models[0] if models else None
    for m in models:
        kind = m.model_fields.get("kind")
        if kind is not None and raw.get("kind") in get_args(kind.annotation):
            return m
    names = {m.__name__: m for m in models}
    if "EventPredicate" in names:
        return names["EventPredicate" if "event" in raw else "TraitPredicate"]
    return models[0]


def _keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def valid_keys(raw: Any, parent: tuple[int | str, ...]) -> list[str] | None:
    """The keys the object at ``parent`` may have (None when it cannot be told)."""
    cands: list[type[BaseModel]] = [JourneySpec]
    for i, part in enumerate(parent):
        if isinstance(part, int):
            continue  # a list item: its model is picked once its object is known
        model = _pick(cands, _at(raw, parent[:i]))
        field = None
        if model is not None:
            field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        if field is None:
            return None
        cands = _models(field.annotation)
    model = _pick(cands, _at(raw, parent))
    return _keys(model) if model is not None else None


def _meant(raw: Any, loc: tuple[int | str, ...]) -> bool:
    """False for the error of a predicate union branch that the input did not mean."""
    for i, part in enumerate(loc):
        if isinstance(part, str) and part.endswith("Predicate"):
            pred = _at(raw, _clean(loc[:i]))
            wanted = "EventPredicate" if isinstance(pred, dict) and "event" in pred else "Trait"
            return part.startswith(wanted[:5])
    return True


def _problem(err: Any, raw: Any, source: str) -> Problem | None:
    loc = tuple(err["loc"])
    if not _meant(raw, loc):
        return None
    clean = _clean(loc)
    path = json_path(clean) or None
    reason, value = str(err["msg"]), err.get("input")
    kind = err["type"]
    if kind == "extra_forbidden":
        keys = valid_keys(raw, clean[:-1])
        reason = "unknown key" + (f"; valid keys: {', '.join(keys)}" if keys else "")
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        kinds = TRIGGER_KINDS if clean[:1] == ("trigger",) else NODE_KINDS
        reason = f"unknown or missing kind; valid kinds: {', '.join(kinds)}"
        path = json_path((*clean, "kind"))
        value = value.get("kind") if isinstance(value, dict) else value
    elif kind == "literal_error":
        reason = str(err["msg"]).replace("Input should be", "must be")
    return Problem(reason, field=path, value=value, source=source)


def parse_journey(data: str | dict[str, Any], source: str = "spec") -> JourneySpec:
    """Parse JSON text or a dict into a valid :class:`JourneySpec`.

    Raises:
        BadInput: invalid JSON (with line and column), a wrong shape, or a spec that does
            not hold together; every problem names its JSON path and what is valid.
    """
    raw: Any = data
    if isinstance(data, str):
        raw = BadInput.parse_json(data, source)
    if not isinstance(raw, dict):
        reason = 'a journey spec is a JSON object like {"name": ..., "trigger": ..., "nodes": []}'
        raise BadInput.one(reason, source=source, field="spec", value=str(raw)[:40])
    bad = value_problems(raw)
    if bad:
        raise BadInput([Problem(p.reason, p.field, p.value, source) for p in bad])
    try:
        spec = JourneySpec.model_validate(raw)
    except ValidationError as exc:
        found = [p for e in exc.errors() if (p := _problem(e, raw, source)) is not None]
        if not found:  # every error was of a union branch not meant: report them all
            found = [Problem(str(e["msg"]), json_path(tuple(e["loc"])) or None, source=source)
                     for e in exc.errors()]  # fmt: skip
        raise BadInput(found[:50], total=len(found)) from None
    problems = check_journey(spec)
    if problems:
        raise BadInput([Problem(p.reason, p.field, p.value, source) for p in problems])
    return spec

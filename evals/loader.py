"""Load and validate scenario files; a bad file is refused naming file:line, field and reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from evals.schema import Scenario
from userops.cdp.segments.spec import SegmentSpec
from userops.errors import BadInput, Problem

Loc = tuple[int | str, ...]


def _lines(node: yaml.Node, loc: Loc, out: dict[Loc, int]) -> None:
    """Record the 1-based line of every key path in a composed YAML node tree."""
    out.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = (*loc, str(key.value))
            out[sub] = key.start_mark.line + 1
            _lines(value, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, (*loc, i), out)


def _line_of(loc: Loc, lines: dict[Loc, int]) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def _value_at(raw: Any, loc: Loc) -> Any:
    cur = raw
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def load_scenario(path: Path) -> Scenario:
    """Parse and validate one scenario file.

    Raises:
        BadInput: unreadable YAML or a schema violation, located at ``file:line field``.
    """
    src = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        raw = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput.one(f"cannot read: {exc}", source=src) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        position = getattr(exc, "position", None)  # a ReaderError (bad character) has no mark
        if line is None and isinstance(position, int):
            line = text.count("\n", 0, position) + 1
        raise BadInput.one(f"invalid YAML: {exc}", source=src, line=line) from None
    if not isinstance(raw, dict) or node is None:
        raise BadInput.one("must be a mapping of scenario fields", source=src, line=1)
    lines: dict[Loc, int] = {}
    _lines(node, (), lines)
    try:
        sc = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise BadInput.from_validation_error(
            exc,
            source=src,
            value=lambda e: _value_at(raw, tuple(e["loc"])),
            line=lambda loc: _line_of(loc, lines),
        ) from None
    if sc.expect.audience is not None:
        _check_audience(sc.expect.audience, src, _line_of(("expect", "audience"), lines))
    return sc


def _check_audience(audience: SegmentSpec, src: str, line: int | None) -> None:
    """Catalog check of ``expect.audience`` (unknown trait fields, wrong value types)."""
    from userops.cdp.segments.service import validate_spec

    try:
        validate_spec(audience, source=src)
    except BadInput as exc:
        raise BadInput(
            [
                Problem(
                    p.reason,
                    field=f"expect.audience.{p.field}",
                    value=p.value,
                    source=src,
                    line=line,
                )
                for p in exc.problems
            ]
        ) from None


def load_suite(directory: Path) -> list[tuple[Path, Scenario]]:
    """Load every ``*.yaml`` / ``*.yml`` in ``directory`` (sorted), all problems at once.

    Raises:
        BadInput: any file is invalid, or two scenarios share an id.
    """
    if directory.is_file():
        files = [directory]
    else:
        files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    if not files:
        raise BadInput.one("no scenario files (*.yaml)", source=str(directory))
    problems: list[Problem] = []
    out: list[tuple[Path, Scenario]] = []
    seen: dict[str, Path] = {}
    for f in files:
        try:
            sc = load_scenario(f)
        except BadInput as exc:
            problems.extend(exc.problems)
            continue
        if sc.id in seen:
            problems.append(
                Problem(
                    f"duplicate id (also in {seen[sc.id]})", field="id", value=sc.id, source=str(f)
                )
            )
            continue
        seen[sc.id] = f
        out.append((f, sc))
    if problems:
        raise BadInput(problems)
    return out

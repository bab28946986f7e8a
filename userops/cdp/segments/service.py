"""Segments: parse and validate a :class:`SegmentSpec`, list its users, preview it.

``parse_spec`` turns JSON text or a dict into a validated spec, or raises
:class:`~userops.errors.BadInput` whose problems name the JSON path (``all[1].field``), the
value, and what is valid (the catalog's fields, an enum's values, the event types).
``segment_user_ids`` and ``preview_segment`` validate again (a spec built in code gets the
same errors) and run the compiled SQL (:mod:`userops.cdp.segments.sql`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, Connection, Engine, func, select

from userops.cdp.segments.check import check_spec
from userops.cdp.segments.preview import summarize
from userops.cdp.segments.spec import SegmentSpec
from userops.cdp.segments.sql import (
    CountsHook,
    has_stale_traits,
    limit_condition,
    needs_as_of,
    restrict_to_ids,
    score_expr,
    spec_condition,
    traits,
)
from userops.cdp.segments.summary import SegmentSummary
from userops.cdp.segments.temp_ids import TempIds
from userops.errors import BadInput, Problem, UsageError

Searcher = Callable[[str, int], list[int]]
"""Semantic search over profile summaries: ``(text, k) -> user ids`` (best first)."""

__all__ = [
    "Searcher",
    "SegmentSummary",
    "compile_segment",
    "parse_spec",
    "preview_segment",
    "segment_user_ids",
    "validate_spec",
]


def _json_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part.isidentifier():  # "" or odd characters: quoted, so the key stays visible
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
        else:
            out += f".{part}" if out else part
    return out


def _branch(raw: Any, loc: tuple[int | str, ...]) -> str | None:
    """The union branch the raw predicate at ``loc`` meant (by its keys)."""
    node = raw
    for part in loc:
        if isinstance(part, str) and part.endswith("Predicate"):
            return (
                "EventPredicate" if isinstance(node, dict) and "event" in node else "TraitPredicate"
            )
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return None


def _pydantic_problems(exc: ValidationError, raw: Any, source: str) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        wanted = _branch(raw, loc)
        if wanted is not None and wanted not in loc:
            continue  # the error of the union branch the predicate did not mean
        path = _json_path(tuple(p for p in loc if not str(p).endswith("Predicate")))
        reason = err["msg"]
        if err["type"] == "extra_forbidden":
            reason = "unknown key"
        problems.append(Problem(reason, field=path or None, value=err.get("input"), source=source))
    return problems


def parse_spec(data: str | dict[str, Any] | SegmentSpec, source: str = "spec") -> SegmentSpec:
    """Parse JSON text, a dict or a spec into a validated :class:`SegmentSpec`.

    Args:
        data: the spec as JSON text, a decoded dict, or a spec object.
        source: what the spec came from (a file name, ``"spec"``), used in error messages.

    Raises:
        BadInput: invalid JSON (with line and column), a wrong shape, an unknown field (the
            reason lists the valid fields), a value of the wrong type, an unknown enum value
            or event type, or an operator that does not suit the field.
    """
    if isinstance(data, SegmentSpec):
        return validate_spec(data, source)
    raw: Any = data
    if isinstance(data, str):
        raw = BadInput.parse_json(data, source)
    if not isinstance(raw, dict):
        reason = 'a segment spec is a JSON object like {"all": [...]}'
        raise BadInput.one(reason, source=source, field="spec", value=raw)
    try:
        spec = SegmentSpec.model_validate(raw)
    except ValidationError as exc:
        raise BadInput(_pydantic_problems(exc, raw, source)) from None
    return validate_spec(spec, source)


def validate_spec(spec: SegmentSpec, source: str | None = None) -> SegmentSpec:
    """Return ``spec`` if it is valid against the catalog, else raise :class:`BadInput`."""
    problems = check_spec(spec, source)
    if problems:
        raise BadInput(problems)
    return spec


def _as_of(conn: Connection, spec: SegmentSpec, as_of_ts: int | None) -> int | None:
    if as_of_ts is not None or not needs_as_of(spec):
        return as_of_ts
    built = conn.execute(select(func.max(traits.c.as_of_ts))).scalar()
    return int(built) if built is not None else None


def compile_segment(
    conn: Connection,
    spec: SegmentSpec,
    *,
    searcher: Searcher | None = None,
    as_of_ts: int | None = None,
    event_counts: CountsHook | None = None,
) -> ColumnElement[bool]:
    """Return the condition on ``traits`` selecting the segment's users (search and limit too).

    Args:
        conn: an open connection (used for the as-of time of the last build).
        spec: a validated spec.
        searcher: semantic search, required when ``spec.search`` is set.
        as_of_ts: the time ``within_days`` counts back from (default: the last trait build).
        event_counts: per-user event counts for count predicates (:class:`TempIds`: once).

    Raises:
        UsageError: the spec has ``search`` but no searcher was given.
    """
    stale = conn.execute(has_stale_traits()).first() is not None
    cond = spec_condition(
        spec, as_of_ts=_as_of(conn, spec, as_of_ts), stale=stale, counts=event_counts
    )
    if spec.search:
        if searcher is None:
            raise UsageError(
                "the segment has a 'search' text but no profile searcher was given; "
                "build the search index (userops profiles index) and pass ProfileSearch.search_ids"
            )
        ids = searcher(spec.search, max(spec.limit or 1000, 1000))
        cond = restrict_to_ids(cond, ids)
    if spec.limit is not None:
        cond = limit_condition(cond, spec.limit)
    return cond


def segment_user_ids(
    engine: Engine,
    spec: SegmentSpec,
    *,
    searcher: Searcher | None = None,
    as_of_ts: int | None = None,
) -> list[int]:
    """Return the canonical user ids of the segment.

    Ordered by churn risk × LTV (highest first) when ``spec.limit`` is set, else by id.
    """
    validate_spec(spec)
    with engine.connect() as conn:
        cond = compile_segment(conn, spec, searcher=searcher, as_of_ts=as_of_ts)
        query = select(traits.c.user_id).where(cond)
        if spec.limit is not None:
            query = query.order_by(score_expr().desc(), traits.c.user_id)
        else:
            query = query.order_by(traits.c.user_id)
        return [int(r) for r in conn.execute(query).scalars()]


def preview_segment(
    engine: Engine,
    spec: SegmentSpec,
    *,
    searcher: Searcher | None = None,
    as_of_ts: int | None = None,
    verify_reach: bool = False,
    columnar: bool | None = None,
) -> SegmentSummary:
    """Summarize the segment without contact data (see :class:`SegmentSummary`).

    ``verify_reach`` also re-checks reach against the current consents and do-not-contact
    flags (``reachable_now``); without it, reach is as of the last profile build.
    ``columnar``: use the columnar copy of the traits (:mod:`userops.cdp.segments.columnar`)
    when it is fresh and the spec is trait-only: ``None`` from ``MIN_ROWS`` trait rows on,
    ``True`` at any size, ``False`` never.
    """
    validate_spec(spec)
    with engine.connect() as conn:
        temp = TempIds(conn)  # each event subquery runs once, not once per query of the preview
        try:
            cond = compile_segment(
                conn, spec, searcher=searcher, as_of_ts=as_of_ts, event_counts=temp
            )
            duck = (
                None
                if columnar is False
                else _columnar(engine, conn, spec, cond, temp, force=bool(columnar))
            )
            try:
                summary = summarize(conn, cond, spec, verify_reach=verify_reach, duck=duck)
            finally:
                if duck is not None:
                    duck.close()
        except BaseException:
            if temp.tables:  # the pooled connection would keep them: discard it instead
                conn.invalidate()
            raise
        temp.drop()
        return summary


def _columnar(
    engine: Engine,
    conn: Connection,
    spec: SegmentSpec,
    cond: ColumnElement[bool],
    temp: TempIds,
    *,
    force: bool,
) -> Any | None:
    """A connection to the fresh columnar copy when the condition can run there, else ``None``.

    Trait predicates on copied columns, and event counts the preview already holds as
    temporary id tables (registered on the copy's connection under the same names).
    """
    from userops.cdp.segments.columnar import (
        MIN_ROWS,
        columnar_ok,
        open_fresh_copy,
        reads_only,
        register_ids,
    )

    if not columnar_ok(spec, events=True) or not reads_only(cond, temp.tables):
        return None
    if conn.execute(has_stale_traits()).first() is not None:
        return None
    duck = open_fresh_copy(engine, conn, min_rows=0 if force else MIN_ROWS)
    if duck is not None and temp.tables:
        register_ids(duck, conn, temp.tables)
    return duck

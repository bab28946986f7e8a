"""Compile a validated :class:`SegmentSpec` to a SQLAlchemy Core condition over ``traits``.

The result is a boolean expression on the ``traits`` table; callers select from ``traits``
with it (ids, the preview's aggregate pass, overlaps). It compiles on every dialect SQLAlchemy
supports: list fields are matched by the substring ``,value,`` (:class:`text_contains`); event
predicates are ``IN`` / ``NOT IN`` subqueries over ``events`` mapping each record to its
canonical user (``coalesce(merged_into, id)``, see :func:`_matching_events`); event properties
use SQLAlchemy's JSON index expressions (``json_extract`` on SQLite, ``->>`` on PostgreSQL).

Null semantics: a comparison with a missing value is false. Under ``none``, a user is excluded
only when a predicate is true for them (``NOT coalesce(cond, false)``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CompoundSelect,
    Select,
    Subquery,
    and_,
    bindparam,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from userops.cdp.segments.check import EVENT_COLUMNS, to_epoch, where_items
from userops.cdp.segments.spec import EventPredicate, Predicate, SegmentSpec, TraitPredicate
from userops.cdp.traits.catalog import TRAIT_CATALOG, CatalogField
from userops.store.models import Event, EventCount, Trait, User

DAY = 86_400
traits = Trait.__table__
events = Event.__table__
users = User.__table__
event_counts = EventCount.__table__

_CMP: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def score_expr() -> ColumnElement[float]:
    """Return the ordering score of a truncated segment: churn risk × 12-month LTV."""
    return traits.c.churn_risk * traits.c.ltv_12m


class text_contains(FunctionElement[bool]):  # noqa: N801 - SQL function style
    """``needle`` occurs in ``haystack`` (case-sensitive; no LIKE pattern, no escaping).

    Renders ``instr(h, n) > 0`` on SQLite, ``strpos(h, n) > 0`` on PostgreSQL and the SQL
    standard ``position(n IN h) > 0`` elsewhere: cheaper per row than ``LIKE '%...%'``.
    """

    type = Boolean()
    name = "text_contains"
    inherit_cache = True


@compiles(text_contains)
def _text_contains_default(element: text_contains, compiler: Any, **kw: Any) -> str:
    haystack, needle = (compiler.process(c, **kw) for c in element.clauses)
    return f"(position({needle} IN {haystack}) > 0)"


@compiles(text_contains, "sqlite")
def _text_contains_sqlite(element: text_contains, compiler: Any, **kw: Any) -> str:
    haystack, needle = (compiler.process(c, **kw) for c in element.clauses)
    return f"(instr({haystack}, {needle}) > 0)"


@compiles(text_contains, "postgresql")
def _text_contains_pg(element: text_contains, compiler: Any, **kw: Any) -> str:
    haystack, needle = (compiler.process(c, **kw) for c in element.clauses)
    return f"(strpos({haystack}, {needle}) > 0)"


def _contains(col: Any, f: CatalogField, element: str, *, delimited: bool) -> ColumnElement[bool]:
    """``col`` contains ``element`` (a list element when ``delimited``, else a substring)."""
    needle = f",{element}," if delimited else element
    if f.values is not None:  # closed, lower-case vocabulary: exact match
        return text_contains(col, literal(needle))
    return text_contains(func.lower(col), literal(needle.lower()))


def list_contains(col: Any, element: str) -> ColumnElement[bool]:
    """The delimited list column ``col`` (``,a,b,``) has ``element``."""
    return text_contains(col, literal(f",{element},"))


def _operand(f: CatalogField, value: Any) -> Any:
    return to_epoch(value) if f.type == "timestamp" else value


def trait_condition(p: TraitPredicate) -> ColumnElement[bool]:
    """Compile one (validated) trait predicate."""
    f = TRAIT_CATALOG[p.field]
    col = traits.c[f.column_name(p.field)]
    op, value = p.op, p.value
    if op == "exists":
        present: ColumnElement[bool] = col.is_not(None)
        if f.type == "list":
            present = and_(present, col != "", col != ",,")
        return present if value in (None, True) else not_(present)
    if f.type == "list":
        elements = value if isinstance(value, list) else [value]
        return or_(*(_contains(col, f, str(v), delimited=True) for v in elements))
    if op == "contains":
        return _contains(col, f, str(value), delimited=False)
    if op == "in":
        return col.in_([_operand(f, v) for v in value])
    if op == "not_in":
        return col.not_in([_operand(f, v) for v in value])
    if op == "between":
        return col.between(_operand(f, value[0]), _operand(f, value[1]))
    return _CMP[op](col, _operand(f, value))  # type: ignore[no-any-return]


def _property(key: str, sample: Any) -> Any:
    """The expression for event property ``key``, typed after the operand ``sample``."""
    if key in EVENT_COLUMNS:
        return events.c[key]
    item = events.c.properties[key]
    if isinstance(sample, bool):
        return item.as_boolean()
    if isinstance(sample, int | float):
        return item.as_float()
    return item.as_string()


def _where_condition(key: str, op: str, value: Any) -> ColumnElement[bool]:
    sample = value[0] if isinstance(value, list) else value
    expr = _property(key, sample)
    if op == "exists":
        present: ColumnElement[bool] = expr.is_not(None)
        return present if value in (None, True) else not_(present)
    if op == "in":
        return expr.in_(value)  # type: ignore[no-any-return]
    if op == "not_in":
        return expr.not_in(value)  # type: ignore[no-any-return]
    if op == "contains":
        return expr.contains(value, autoescape=True)  # type: ignore[no-any-return]
    return _CMP[op](expr, value)  # type: ignore[no-any-return]


def canonical_id() -> ColumnElement[int]:
    """The canonical user of a ``users`` row: ``coalesce(merged_into, id)``."""
    return func.coalesce(users.c.merged_into, users.c.id)


def _merged_events(conds: list[ColumnElement[bool]]) -> Select[Any]:
    """``canon`` (the record merged into) of each matching event of a merged record."""
    merged_ids = select(users.c.id).where(users.c.merged_into.is_not(None))
    survivor = select(users.c.merged_into).where(users.c.id == events.c.user_id)
    return select(survivor.scalar_subquery().label("canon")).where(
        events.c.user_id.in_(merged_ids), *conds
    )


def _matching_events(conds: list[ColumnElement[bool]]) -> Subquery:
    """The canonical user of every matching event, in two index-friendly branches.

    Events recorded on a canonical user (most) come straight off ``ix_events_type_ts``
    (type, ts, user_id: no table read, no join). Events recorded on a merged record are found
    from the few merged records (``ix_users_merged_into``, then ``ix_events_user_ts``; an
    ``IN`` list, because as a join SQLite starts from the events, not knowing that almost
    every ``merged_into`` is NULL) and counted for the record they were merged into.
    Together: ``coalesce(merged_into, id)`` of each event's user, as one join of every event
    with ``users`` would give, for every trait row of a canonical user (a merged record's own
    trait row is stale and skipped by :func:`canonical_only`).
    """
    direct = select(events.c.user_id.label("canon")).where(*conds)
    return direct.union_all(_merged_events(conds)).subquery("matching")


def event_counts_queries(
    conds: list[ColumnElement[bool]], keep: Callable[[Any], ColumnElement[bool]]
) -> tuple[Select[Any], Select[Any]]:
    """Matching events per user, as two grouped queries ``(canon, n)`` to add up per canon.

    The first groups the events by the user they were recorded on (off ``ix_events_type_user``
    in user order on SQLite: no sort), keeping the users whose count passes ``keep`` and the
    records other records were merged into (their count is not final yet); the second counts
    the events of merged records for the record they were merged into (few rows). Summed per
    ``canon`` they are the counts of :func:`_matching_events` grouped by ``canon``, for every
    user whose total can pass ``keep``.
    """
    survivors = select(users.c.merged_into).where(users.c.merged_into.is_not(None))
    direct = select(events.c.user_id.label("canon"), func.count().label("n")).where(*conds)
    merged = _merged_events(conds).subquery("merged_events")
    return (
        direct.group_by(events.c.user_id).having(
            or_(keep(func.count()), events.c.user_id.in_(survivors))
        ),
        select(merged.c.canon, func.count().label("n")).group_by(merged.c.canon),
    )


def stored_counts_queries(
    event_type: str, keep: Callable[[Any], ColumnElement[bool]]
) -> tuple[CompoundSelect[Any], Select[Any]]:
    """:func:`event_counts_queries` for all the events of one type, off ``event_counts``.

    The per-record counts kept by the triggers of migration 0018: the records whose count
    passes ``keep`` (a range of ``ix_event_counts_type_n`` for ``n >= 3``), plus the records
    others were merged into whose own count fails (looked up by key: few); then the counts
    of merged records summed per record they were merged into.
    """
    c = event_counts.c
    survivors = select(users.c.merged_into).where(users.c.merged_into.is_not(None))
    passing = select(c.user_id.label("canon"), c.n).where(c.type == event_type, keep(c.n))
    pending = select(c.user_id, c.n).where(
        c.type == event_type, c.user_id.in_(survivors), not_(keep(c.n))
    )
    merged = (
        select(users.c.merged_into.label("canon"), func.sum(c.n).label("n"))
        .select_from(event_counts.join(users, users.c.id == c.user_id))
        .where(c.type == event_type, users.c.merged_into.is_not(None))
        .group_by(users.c.merged_into)
    )
    return passing.union_all(pending), merged


class CountsHook(Protocol):
    """Per-user counts of an event predicate, e.g. a temporary table filled once per preview.

    See :mod:`.temp_ids`.
    """

    def __call__(
        self,
        conds: list[ColumnElement[bool]],
        keep: Callable[[Any], ColumnElement[bool]],
        event_type: str | None = None,
        *,
        at_least: int | None = None,
    ) -> Any:
        """Return a table of the canonical users whose count passes ``keep``.

        Its column ``canon`` holds exactly those users (with at least one event matching
        ``conds``). ``event_type`` is set when ``conds`` are that event type alone (every such event
        over all time): the stored counts (``event_counts``) can answer.
        ``at_least``: ``keep`` is ``count >= at_least`` (a subquery may answer instead).
        """


def event_condition(
    p: EventPredicate, as_of_ts: int | None, counts: CountsHook | None = None
) -> ColumnElement[bool]:
    """Compile one (validated) event predicate; ``within_days`` counts back from ``as_of_ts``.

    ``counts``: a count predicate (other than "at least one") reads the per-user counts from
    the table this hook returns instead of grouping the events in every query.
    """
    conds: list[ColumnElement[bool]] = [events.c.type == p.event]
    conds += [_where_condition(k, op, v) for k, op, v in where_items(p.where)]
    if p.within_days is not None and as_of_ts is not None:
        conds.append(events.c.ts > as_of_ts - p.within_days * DAY)
        conds.append(events.c.ts <= as_of_ts)
    cmp, n = _CMP[p.count.op], p.count.value
    if (p.count.op, n) in ((">=", 1), (">", 0)):
        matching = _matching_events(conds)
        return traits.c.user_id.in_(select(matching.c.canon).correlate(None))
    if counts is not None:
        kind = p.event if len(conds) == 1 else None  # the type alone: all time, no ``where``
        if not cmp(0, n):  # users with no such event fail the count: they must have some
            keep: Callable[[Any], ColumnElement[bool]] = lambda c: cmp(c, n)  # noqa: E731
            at_least = {">=": n, ">": n + 1}.get(p.count.op) if isinstance(n, int) else None
            table = counts(conds, keep, kind, at_least=at_least)
            return traits.c.user_id.in_(select(table.c.canon))
        keep = lambda c: not_(cmp(c, n))  # noqa: E731
        return traits.c.user_id.not_in(select(counts(conds, keep, kind).c.canon))
    matching = _matching_events(conds)
    canon = matching.c.canon
    base: Select[Any] = select(canon).correlate(None)
    counted = func.count()
    if not cmp(0, n):  # users with no such event fail the count: they must have some
        return traits.c.user_id.in_(base.group_by(canon).having(cmp(counted, n)))
    # users with no such event pass: exclude those whose count fails
    return traits.c.user_id.not_in(base.group_by(canon).having(not_(cmp(counted, n))))


def predicate_condition(
    p: Predicate, as_of_ts: int | None, counts: CountsHook | None = None
) -> ColumnElement[bool]:
    """Compile one predicate of either kind (``counts``: see :func:`event_condition`)."""
    if isinstance(p, TraitPredicate):
        return trait_condition(p)
    return event_condition(p, as_of_ts, counts)


def needs_as_of(spec: SegmentSpec) -> bool:
    """Whether the spec has an event predicate with ``within_days`` (needs an as-of time)."""
    preds = [*spec.all_, *spec.any_, *spec.none]
    return any(isinstance(p, EventPredicate) and p.within_days is not None for p in preds)


def canonical_only() -> ColumnElement[bool]:
    """Trait rows of canonical users only (a record merged after the build is skipped)."""
    merged = select(users.c.id).where(users.c.merged_into.is_not(None)).correlate(None)
    return traits.c.user_id.not_in(merged)


def has_stale_traits() -> Select[Any]:
    """Query: does any merged record still have a trait row (merged after the last build)?"""
    return (
        select(users.c.id)
        .select_from(users.join(traits, traits.c.user_id == users.c.id))
        .where(users.c.merged_into.is_not(None))
        .limit(1)
    )


def spec_condition(
    spec: SegmentSpec,
    *,
    as_of_ts: int | None = None,
    stale: bool = True,
    counts: CountsHook | None = None,
) -> ColumnElement[bool]:
    """Compile ``all``/``any``/``none`` (not ``search`` nor ``limit``) to one condition.

    ``stale=False`` (no merged record has a trait row, see :func:`has_stale_traits`) drops the
    canonical-user filter, which costs a probe per row. ``counts``: see :func:`event_condition`.
    """
    conds: list[ColumnElement[bool]] = [canonical_only()] if stale else [true()]
    conds += [predicate_condition(p, as_of_ts, counts) for p in spec.all_]
    if spec.any_:
        conds.append(or_(*(predicate_condition(p, as_of_ts, counts) for p in spec.any_)))
    for p in spec.none:
        conds.append(not_(func.coalesce(predicate_condition(p, as_of_ts, counts), false())))
    return and_(*conds)


def restrict_to_ids(cond: ColumnElement[bool], ids: list[int]) -> ColumnElement[bool]:
    """Add ``user_id IN ids`` (ids rendered inline as integers, any length)."""
    param: Any = bindparam(
        "segment_ids", [int(i) for i in ids], expanding=True, literal_execute=True
    )
    return and_(cond, traits.c.user_id.in_(param))


def limit_condition(cond: ColumnElement[bool], limit: int) -> ColumnElement[bool]:
    """Keep the ``limit`` users with the highest churn risk × LTV among those matching."""
    top = (
        select(traits.c.user_id)
        .where(cond)
        .order_by(score_expr().desc(), traits.c.user_id)
        .limit(limit)
        .correlate(None)
    )
    return traits.c.user_id.in_(top)

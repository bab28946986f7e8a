"""Which stored events a journey reacts to, as SQL over the ``events`` table.

An event name resolves as the real-time ingestion stores it (:mod:`userops.cdp.stream.mapping`):
a known Segment name (``Order Completed``) or a store type (``order``) is that type; any other
name is a ``custom`` event whose ``properties.event`` is the name. Property filters compile
as segment event predicates do. Users are canonical: ``coalesce(users.merged_into, users.id)``.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Table, and_, func, select

from userops.cdp.segments.check import where_items
from userops.cdp.segments.sql import _where_condition  # the segments' property filters
from userops.cdp.stream.mapping import CUSTOM, TRACK
from userops.journeys.nodes import EventMatch
from userops.journeys.spec import LifecycleTrigger
from userops.store.models import Event, User

events = cast(Table, Event.__table__)
users = cast(Table, User.__table__)
LIFECYCLE_EVENT = "lifecycle_stage_changed"
"""The event type the incremental traits write when a lifecycle stage changes."""


def resolve_event(name: str) -> tuple[str, str | None]:
    """``(event type, custom name or None)`` of an event name."""
    rule = TRACK.get(name)
    if rule is not None:
        return rule.type, None
    if name in (CUSTOM, LIFECYCLE_EVENT):
        return name, None
    return CUSTOM, name


def _type_is(etype: str, by_range: bool) -> ColumnElement[bool]:
    """``events.type = etype``; ``by_range``: in a form no index serves.

    A pass over new events reads an id range: with a plain ``type = ?`` SQLite picks
    ``ix_events_type_ts`` and reads every event of the type ever stored (a million sign-ups:
    seconds per pass, per journey) instead of the few new ids.
    """
    return (func.coalesce(events.c.type, "") if by_range else events.c.type) == etype


def match_condition(m: EventMatch, *, by_range: bool = False) -> ColumnElement[bool]:
    """The condition on ``events`` of an :class:`EventMatch` (``by_range``: :func:`_type_is`)."""
    etype, name = resolve_event(m.event)
    conds: list[ColumnElement[bool]] = [_type_is(etype, by_range)]
    if name is not None:
        conds.append(events.c.properties["event"].as_string() == name)
    conds += [_where_condition(k, op, v) for k, op, v in where_items(m.where)]
    return and_(*conds)


def lifecycle_condition(t: LifecycleTrigger, *, by_range: bool = False) -> ColumnElement[bool]:
    """The condition on ``events`` of a lifecycle-change trigger."""
    conds: list[ColumnElement[bool]] = [
        _type_is(LIFECYCLE_EVENT, by_range),
        events.c.properties["to"].as_string().in_(list(t.to)),
    ]
    if t.from_:
        conds.append(events.c.properties["from"].as_string().in_(list(t.from_)))
    return and_(*conds)


def canonical() -> ColumnElement[int]:
    """The canonical user of a ``users`` row."""
    return func.coalesce(users.c.merged_into, users.c.id)


def matching(
    conn: Connection, cond: ColumnElement[bool], lo: int, hi: int
) -> list[tuple[int, int, int]]:
    """``(event id, canonical user, ts)`` of the events in ``(lo, hi]`` matching ``cond``."""
    q = (
        select(events.c.id, canonical(), events.c.ts)
        .select_from(events.join(users, users.c.id == events.c.user_id))
        .where(events.c.id > lo, events.c.id <= hi, cond)
        .order_by(events.c.id)
    )
    return [(int(a), int(b), int(c)) for a, b, c in conn.execute(q)]


def max_event_id(conn: Connection) -> int:
    """The newest event id (0 when there is none)."""
    got: Any = conn.execute(select(func.max(events.c.id))).scalar()
    return int(got or 0)

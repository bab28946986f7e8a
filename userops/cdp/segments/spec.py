"""The typed audience definition shared by tools, agents, evals and the API.

A ``SegmentSpec`` is ``{"all": [...], "any": [...], "none": [...], "search": "text",
"limit": N}``. ``all`` predicates must all hold, at least one of ``any`` (when non-empty),
none of ``none``. A predicate is either a trait predicate over a catalog field or an event
predicate over the ``events`` table. ``{"all": []}`` is everyone. Compilation to SQL and the
preview live in :mod:`userops.cdp.segments.service`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TraitOp = Literal["=", "!=", "<", "<=", ">", ">=", "in", "not_in", "between", "contains", "exists"]


class TraitPredicate(BaseModel):
    """A condition on one field of the trait catalog, e.g. ``days_since_last_order >= 60``."""

    model_config = ConfigDict(extra="forbid")
    field: str
    """Catalog field name (see ``userops profiles catalog`` / docs/traits.md)."""
    op: TraitOp
    """Comparison operator."""
    value: Any = None
    """Operand: a scalar, a list for ``in``/``not_in``, ``[lo, hi]`` for ``between``,
    a boolean for ``exists``."""


class CountCondition(BaseModel):
    """How many matching events are required, e.g. ``{"op": ">=", "value": 2}``."""

    model_config = ConfigDict(extra="forbid")
    op: Literal["=", "!=", "<", "<=", ">", ">="] = ">="
    """Comparison on the number of matching events."""
    value: int = 1
    """Number of events compared against."""


class EventPredicate(BaseModel):
    """The user performed (or, inside ``none``, did not perform) an event.

    Example: viewed the refill page twice this week:
    ``{"event": "page_view", "where": {"page": "refill"}, "count": {"op": ">=", "value": 2},
    "within_days": 7}``.
    """

    model_config = ConfigDict(extra="forbid")
    event: str
    """Event type (``order``, ``page_view``, ``message_clicked``...)."""
    where: dict[str, Any] = Field(default_factory=dict)
    """Property conditions: ``{"prop": value}`` equality, or ``{"prop": {"op": OP, "value": V}}``;
    the columns ``channel``, ``amount``, ``quantity`` and ``campaign_id`` are also allowed."""
    count: CountCondition = Field(default_factory=CountCondition)
    """How many such events are required (default: at least one)."""
    within_days: int | None = None
    """Only events in the last N days before the as-of time count."""


Predicate = TraitPredicate | EventPredicate


class SegmentSpec(BaseModel):
    """An audience: trait and event predicates, optional semantic search, optional limit."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    all_: list[Predicate] = Field(default_factory=list, alias="all")
    """Every predicate must hold."""
    any_: list[Predicate] = Field(default_factory=list, alias="any")
    """At least one predicate must hold (ignored when empty)."""
    none: list[Predicate] = Field(default_factory=list)
    """No predicate may hold."""
    search: str | None = None
    """Free-text query over profile summaries (semantic search), narrowing the audience."""
    limit: int | None = Field(default=None, ge=1)
    """At most this many users (highest churn risk × LTV first when truncating)."""

    def dump(self) -> dict[str, Any]:
        """Return the JSON form with the public keys ``all``/``any``/``none``."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")

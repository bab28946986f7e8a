"""The trait catalog: every ``traits`` column a segment may filter on.

Each entry says the field's type, what it means and, for enumerations and list fields, the
allowed values. Segment validation (:mod:`userops.cdp.segments.service`) refuses any field not
listed here and any value of the wrong type; tools and LLM prompts read :func:`catalog_as_dict`.

Types:

* ``int`` / ``float``: numbers (``=, !=, <, <=, >, >=, in, not_in, between, exists``);
* ``timestamp``: UTC epoch seconds, compared like numbers; an ISO-8601 string is also accepted;
* ``string``: free text (``=, !=, in, not_in, contains`` (substring), ``exists``);
* ``enum``: one of ``values`` (``=, !=, in, not_in, exists``);
* ``list``: a comma-delimited set such as ``,sms,email,`` (``contains`` one element, ``in``
  = contains any of, ``exists`` = not empty; put ``contains`` under ``none`` to exclude).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from userops.domain import CHANNELS, ContentType, LifecycleStage

FieldType = Literal["int", "float", "timestamp", "string", "enum", "list"]

LTV_TIERS: tuple[str, ...] = ("high", "mid", "low")
RFM_SEGMENTS: tuple[str, ...] = (
    "champions",
    "loyal",
    "potential",
    "new",
    "at_risk",
    "hibernating",
    "lost",
)
LIFECYCLE_STAGES: tuple[str, ...] = tuple(s.value for s in LifecycleStage)
CONTENT_TYPES: tuple[str, ...] = tuple(c.value for c in ContentType)

NUMERIC_OPS: tuple[str, ...] = (
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "not_in",
    "between",
    "exists",
)
OPS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "int": NUMERIC_OPS,
    "float": NUMERIC_OPS,
    "timestamp": NUMERIC_OPS,
    "string": ("=", "!=", "in", "not_in", "contains", "exists"),
    "enum": ("=", "!=", "in", "not_in", "exists"),
    "list": ("contains", "in", "exists"),
}
"""Operators allowed on each field type."""


@dataclass(frozen=True)
class CatalogField:
    """One segmentable trait: its type, meaning and allowed values."""

    type: FieldType
    """Value type, which decides the allowed operators (see ``OPS_BY_TYPE``)."""
    description: str
    """What the field means, for people and for LLM prompts."""
    values: tuple[str, ...] | None = None
    """Allowed values of an ``enum`` field or the elements of a ``list`` field (``None``:
    open vocabulary)."""
    column: str | None = None
    """The ``traits`` column when it differs from the field name (friendly aliases)."""
    nullable: bool = False
    """Whether the value can be missing (``exists`` tells)."""

    @property
    def ops(self) -> tuple[str, ...]:
        """Operators allowed on this field."""
        return OPS_BY_TYPE[self.type]

    def column_name(self, name: str) -> str:
        """Return the ``traits`` column that stores field ``name``."""
        return self.column or name


def _f(
    type_: FieldType,
    description: str,
    values: tuple[str, ...] | None = None,
    *,
    column: str | None = None,
    nullable: bool = False,
) -> CatalogField:
    return CatalogField(type_, description, values, column, nullable)


TRAIT_CATALOG: dict[str, CatalogField] = {
    "user_id": _f("int", "Canonical user id."),
    "language": _f("string", "Preferred language code (zh, en...)."),
    "region": _f("string", "Region or city of the user.", nullable=True),
    "timezone": _f("string", "IANA time zone, e.g. Asia/Shanghai."),
    "days_since_signup": _f("int", "Days since the first record of the user was created."),
    "lifecycle_stage": _f("enum", "Lifecycle stage (rules in docs/traits.md).", LIFECYCLE_STAGES),
    "days_since_last_order": _f(
        "int", "Days since the last order; missing if never ordered.", nullable=True
    ),
    "orders_90d": _f("int", "Orders in the last 90 days."),
    "orders_total": _f("int", "Orders ever."),
    "monetary_365d": _f("float", "Order amount in the last 365 days."),
    "aov": _f("float", "Average order value."),
    "rfm_segment": _f("enum", "RFM segment.", RFM_SEGMENTS),
    "p_alive": _f("float", "Probability the customer is still active (BG/NBD), 0..1."),
    "expected_orders_90d": _f("float", "Expected orders in the next 90 days (BG/NBD)."),
    "ltv_12m": _f("float", "Predicted 12-month customer lifetime value."),
    "ltv_tier": _f("enum", "LTV tier.", LTV_TIERS),
    "churn_risk": _f("float", "Churn risk, 0..1 (1 - p_alive, adjusted)."),
    "preferred_channel": _f("enum", "Channel the user responds to best.", CHANNELS, nullable=True),
    "reachable_channels": _f(
        "list",
        "Channels with consent granted, an address, and no do-not-contact (as of the build).",
        CHANNELS,
    ),
    "interests": _f("list", "Product categories the user buys or browses."),
    "price_sensitivity": _f("float", "Price sensitivity, 0..1 (share of discounted orders)."),
    "content_affinity": _f(
        "enum", "Content kind the user engages with most.", CONTENT_TYPES, nullable=True
    ),
    "contacts_7d": _f("int", "Marketing messages sent to the user in the last 7 days."),
    "last_contacted_ts": _f(
        "timestamp", "When the user was last contacted (UTC epoch seconds).", nullable=True
    ),
    "last_contacted_at": _f(
        "timestamp",
        "Alias of last_contacted_ts (ISO-8601 or epoch seconds).",
        column="last_contacted_ts",
        nullable=True,
    ),
    "satisfaction": _f("float", "Mean feedback/survey rating, 1..5.", nullable=True),
    "last_call_intent": _f(
        "string",
        "Intent of the user's last AI outbound call (interested, not_now, opt_out...).",
        nullable=True,
    ),
    "call_tags": _f("list", "Tags the voice agent gave the user's calls (last 180 days)."),
    "last_call_ts": _f(
        "timestamp", "When the user's last AI outbound call ended (UTC epoch).", nullable=True
    ),
}
"""Every field a segment may filter on, by name."""

LIST_DELIMITER = ","


def catalog_as_dict() -> dict[str, dict[str, Any]]:
    """Return the catalog as plain JSON data (for tools, LLM prompts and ``--json``)."""
    out: dict[str, dict[str, Any]] = {}
    for name, f in TRAIT_CATALOG.items():
        entry: dict[str, Any] = {"type": f.type, "description": f.description, "ops": list(f.ops)}
        if f.values is not None:
            entry["values"] = list(f.values)
        if f.column is not None:
            entry["column"] = f.column
        if f.nullable:
            entry["nullable"] = True
        out[name] = entry
    return out

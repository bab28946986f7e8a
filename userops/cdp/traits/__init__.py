"""Traits: the wide per-user row of computed facts (a user's profile), full and incremental."""

from userops.cdp.traits.build import DAY, build_profiles, compute, fetch, newest_event_day
from userops.cdp.traits.calls import after_feedback
from userops.cdp.traits.catalog import (
    CONTENT_TYPES,
    LIFECYCLE_STAGES,
    LTV_TIERS,
    TRAIT_CATALOG,
    CatalogField,
    catalog_as_dict,
)
from userops.cdp.traits.channel import (
    CHANNELS,
    DEFAULT_STRENGTH,
    beta_strength,
    preferred_by_history,
    reachable_matrix,
    shrunk_open_rates,
)
from userops.cdp.traits.due import catch_up, pending
from userops.cdp.traits.incremental import NO_BUILD, apply_events
from userops.cdp.traits.write import TRAIT_COLUMNS

__all__ = [
    "CHANNELS",
    "CONTENT_TYPES",
    "CatalogField",
    "DAY",
    "DEFAULT_STRENGTH",
    "LIFECYCLE_STAGES",
    "LTV_TIERS",
    "NO_BUILD",
    "TRAIT_CATALOG",
    "TRAIT_COLUMNS",
    "after_feedback",
    "apply_events",
    "beta_strength",
    "build_profiles",
    "catalog_as_dict",
    "catch_up",
    "compute",
    "fetch",
    "newest_event_day",
    "pending",
    "preferred_by_history",
    "reachable_matrix",
    "shrunk_open_rates",
]

"""Segments: the typed spec, its validation, SQL and columnar compilation, preview."""

from userops.cdp.segments.check import (
    check_event,
    check_spec,
    check_trait,
    value_problems,
    where_items,
)
from userops.cdp.segments.columnar import (
    columnar_ok,
    columnar_path,
    open_fresh_copy,
    refresh_columnar_copy,
)
from userops.cdp.segments.preview import safe_summary
from userops.cdp.segments.service import (
    parse_spec,
    preview_segment,
    segment_user_ids,
    validate_spec,
)
from userops.cdp.segments.spec import (
    CountCondition,
    EventPredicate,
    SegmentSpec,
    TraitOp,
    TraitPredicate,
)
from userops.cdp.segments.sql import list_contains, restrict_to_ids, spec_condition, traits

__all__ = [
    "CountCondition",
    "EventPredicate",
    "SegmentSpec",
    "TraitOp",
    "TraitPredicate",
    "check_event",
    "check_spec",
    "check_trait",
    "columnar_ok",
    "columnar_path",
    "list_contains",
    "open_fresh_copy",
    "parse_spec",
    "preview_segment",
    "refresh_columnar_copy",
    "restrict_to_ids",
    "safe_summary",
    "segment_user_ids",
    "spec_condition",
    "traits",
    "validate_spec",
    "value_problems",
    "where_items",
]

"""Approvals: requests and decisions, the card (the contract), who may decide."""

from userops.approvals.records import (
    STATUS_BY_DECISION,
    ApprovalRecord,
    create_request,
    decide,
    get,
    is_approved,
    list_approvals,
    record_refusal,
)

__all__ = [
    "ApprovalRecord",
    "STATUS_BY_DECISION",
    "create_request",
    "decide",
    "get",
    "is_approved",
    "list_approvals",
    "record_refusal",
]

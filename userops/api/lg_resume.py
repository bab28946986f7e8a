"""A LangGraph resume value as the one HITL decision the approval gate takes.

The parsing is :mod:`userops.approvals.resume_shapes`, shared with the gate node itself
(which gets the resume as the client sent it when the official LangGraph server runs the
graph).
"""

from __future__ import annotations

from userops.approvals.resume_shapes import ACTIONS, HITL_TYPES, INBOX_TYPES, resume_decision

__all__ = ["ACTIONS", "HITL_TYPES", "INBOX_TYPES", "resume_decision"]

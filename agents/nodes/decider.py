"""Who decides at the approval gate, and the resume as the gate reads it.

Under the LangGraph server (``langgraph dev`` / ``up``) the resume arrives as the client
sent it and the decider is the server's authenticated user; under userops' own runtime
(which authenticated the caller) the runtime names the ``actor``.
"""

from __future__ import annotations

from typing import Any

from userops.approvals.resume_shapes import resume_decision
from userops.errors import BadInput

UNAUTHENTICATED = (
    "no authenticated approver: the LangGraph server's auth (langgraph.json) names none"
)


def decider(value: dict[str, Any], conf: dict[str, Any]) -> str:
    """Who decides: under the LangGraph server, its authenticated user, never the payload.

    The server (``langgraph dev``/``up``) puts ``langgraph_auth_user_id`` in every run's
    configurable (``""`` without a custom auth); userops' own runtime, which authenticated
    the caller itself, passes ``actor``. An empty answer is refused, never "anonymous".
    """
    if "langgraph_auth_user_id" in conf:
        return str(conf.get("langgraph_auth_user_id") or "")
    return str(value.get("actor") or conf.get("actor") or "")


def requester(conf: dict[str, Any], default: str = "operator") -> str:
    """Who asks: the LangGraph server's authenticated user, else the runtime's ``actor``.

    The requester decides who may not self-approve, so under the LangGraph server it is
    never taken from the goal or the payload.
    """
    return str(conf.get("langgraph_auth_user_id") or conf.get("actor") or default)


def as_decisions(raw: Any) -> tuple[dict[str, Any], BadInput | None]:
    """The resume as ``{"decisions": [...]}``, and the error to refuse it with.

    Agent Inbox's list is translated (the LangGraph server hands it over as sent).
    """
    if isinstance(raw, dict):
        return raw, None
    try:
        return {"decisions": [resume_decision(raw)]}, None
    except BadInput as exc:
        return {}, exc

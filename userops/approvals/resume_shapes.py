"""A LangGraph resume value as the one HITL decision the approval gate takes.

Two shapes are accepted, each with exactly one answer per action request (the gate asks
about one action, :data:`agents.nodes.card.ACTION`), so no answer is ever dropped:

* LangChain HITL: ``{"decisions": [{"type": "approve"|"edit"|"reject"|"respond", ...}]}``;
* Agent Inbox: ``[{"type": "accept"|"edit"|"response"|"ignore", "args": ...}]`` (``edit``'s
  args are ``{"action": name, "args": {...}}``, ``response``'s the reply text; ``ignore``
  rejects).

Anything else is a :class:`~userops.errors.BadInput` naming its JSON path under
``command.resume``, raised before the decision is recorded, so the interrupt stays pending.
"""

from __future__ import annotations

from typing import Any

from userops.errors import BadInput
from userops.text_limits import check_text

HITL_TYPES = ("approve", "edit", "reject", "respond")
INBOX_TYPES = ("accept", "edit", "response", "ignore")
ACTIONS = 1
"""Action requests per interrupt: one answer each."""
_BASE = "command.resume"


def _one(items: Any, where: str, kinds: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(items, list) or len(items) != ACTIONS:
        got = len(items) if isinstance(items, list) else type(items).__name__
        raise BadInput.one(
            f"must be a list of {ACTIONS} answer (one per action request), got {got}",
            field=where,
        )
    item = items[0]
    if not isinstance(item, dict) or item.get("type") not in kinds:
        raise BadInput.one(f"must be one of {', '.join(kinds)}", field=f"{where}.0.type")
    return item


def _hitl(decision: dict[str, Any], where: str) -> dict[str, Any]:
    message = decision.get("message")
    if message is not None:
        if not isinstance(message, str):
            raise BadInput.one("must be a string", field=f"{where}.message")
        check_text(message, f"{where}.message")
    if decision["type"] == "edit" and not isinstance(decision.get("edited_action"), dict):
        raise BadInput.one(
            "an edit needs edited_action {name, args}", field=f"{where}.edited_action"
        )
    if decision["type"] == "respond" and not (message or "").strip():
        raise BadInput.one("a respond decision needs a message", field=f"{where}.message")
    return decision


def _inbox(answer: dict[str, Any], where: str) -> dict[str, Any]:
    kind, args = answer["type"], answer.get("args")
    if kind == "accept":
        return {"type": "approve"}
    if kind == "ignore":
        return {"type": "reject", "message": "ignored in Agent Inbox"}
    if kind == "response":
        if not isinstance(args, str) or not args.strip():
            raise BadInput.one("a response's args must be the reply text", field=f"{where}.args")
        return {"type": "respond", "message": check_text(args, f"{where}.args")}
    if not isinstance(args, dict) or not isinstance(args.get("args"), dict):
        raise BadInput.one("an edit's args must be {action, args: {...}}", field=f"{where}.args")
    return {"type": "edit", "edited_action": {"name": args.get("action"), "args": args["args"]}}


def resume_decision(resume: Any) -> dict[str, Any]:
    """Return the HITL decision ``resume`` (either shape) stands for.

    Raises:
        BadInput: naming the JSON path under ``command.resume`` that is wrong.
    """
    if isinstance(resume, dict) and "decisions" in resume:
        where = f"{_BASE}.decisions"
        return _hitl(_one(resume["decisions"], where, HITL_TYPES), f"{where}.0")
    if isinstance(resume, list):
        return _inbox(_one(resume, _BASE, INBOX_TYPES), f"{_BASE}.0")
    raise BadInput.one(
        'must be {"decisions": [...]} (LangChain HITL) or [{"type", "args"}] (Agent Inbox)',
        field=_BASE,
    )

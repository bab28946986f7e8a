"""The subset of the LangGraph server API that ``langgraph-sdk`` uses to drive the loop.

Assistants search, thread creation, ``runs.wait`` and ``runs.stream`` to the interrupt, the
thread state with its interrupts, and resume with ``Command(resume={"decisions": [...]})``.
Same tokens and roles as ``/v1`` (``Authorization: Bearer`` or ``x-api-key``), and the same
thread rules: ids are validated (422 naming ``thread_id``), and operators see and run only
their own threads (another's answers 404, like a missing one).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from userops.accounts import AccountInfo
from userops.api.deps import AnyUser, RuntimeDep, ServicesDep
from userops.api.hub import Hub
from userops.api.lg_resume import resume_decision
from userops.api.loop import (
    Update,
    decide,
    jsonable,
    progress_event,
    sse,
    stream_run,
    thread_view,
)
from userops.api.routes.threads import ThreadId
from userops.approvals.rules import check_role
from userops.errors import BadInput, Conflict, NotFound, PolicyRefused
from userops.text_limits import check_text
from userops.threads.access import check_thread_id, may_see, sees_all

router = APIRouter(tags=["langgraph"])
GRAPH_ID = "userops"
ASSISTANT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "userops:loop"))
_EPOCH = "2026-01-01T00:00:00+00:00"


class RunIn(BaseModel):
    """A run request as sent by ``langgraph-sdk`` (other fields are accepted and ignored)."""

    model_config = ConfigDict(extra="allow")
    assistant_id: str
    """The assistant (``userops`` or its id)."""
    input: dict[str, Any] | None = None
    """``{"messages": [{"role": "user", "content": goal}]}`` or ``{"goal": goal}``."""
    command: dict[str, Any] | None = None
    """``{"resume": {"decisions": [...]}}`` to decide the pending approval."""
    stream_mode: str | list[str] | None = Field(default=None)
    """``values`` (default) and/or ``updates``."""


def _assistant() -> dict[str, Any]:
    return {
        "assistant_id": ASSISTANT_ID,
        "graph_id": GRAPH_ID,
        "name": GRAPH_ID,
        "description": "userops campaign loop: goal -> plan -> approval -> dispatch -> measure",
        "config": {},
        "context": {},
        "metadata": {},
        "version": 1,
        "created_at": _EPOCH,
        "updated_at": _EPOCH,
    }


def _now() -> str:
    return datetime.now(UTC).isoformat()


@router.post("/assistants/search")
def search_assistants(_user: AnyUser, body: dict[str, Any] = Body(default={})) -> Any:
    """The one assistant: the userops loop."""
    graph_id = body.get("graph_id")
    return [] if graph_id not in (None, GRAPH_ID) else [_assistant()]


@router.get("/assistants/{assistant_id}")
def get_assistant(assistant_id: str, _user: AnyUser) -> dict[str, Any]:
    """Read the assistant."""
    _check_assistant(assistant_id)
    return _assistant()


def _check_assistant(assistant_id: str) -> None:
    if assistant_id not in (ASSISTANT_ID, GRAPH_ID):
        raise NotFound(f"no assistant {assistant_id!r}")


@router.post("/threads")
def create_thread(_user: AnyUser, body: dict[str, Any] = Body(default={})) -> dict[str, Any]:
    """Allocate a thread id (the thread comes to life with its first run)."""
    given = body.get("thread_id")
    tid = str(uuid.uuid4()) if given is None else check_thread_id(given)
    now = _now()
    return {
        "thread_id": str(tid),
        "created_at": now,
        "updated_at": now,
        "metadata": body.get("metadata") or {},
        "status": "idle",
        "config": {},
        "values": None,
        "interrupts": {},
    }


def _snapshot(rt: Any, user: AccountInfo, thread_id: str, *, missing_ok: bool = False) -> Any:
    """Return the thread's state snapshot if ``user`` may see it.

    Raises:
        NotFound: another operator's thread, or one that has not run yet (an approver may
            read the empty state of such a thread where ``missing_ok``).
    """
    snap = rt.graph.get_state({"configurable": {"thread_id": thread_id}})
    values = snap.values or {}
    if values and may_see(user.name, user.role, values):
        return snap
    if not values and missing_ok and sees_all(user.role):
        return snap
    raise NotFound(f"no thread {thread_id!r}")


@router.get("/threads/{thread_id}")
def get_thread(user: AnyUser, rt: RuntimeDep, thread_id: str = ThreadId) -> dict[str, Any]:
    """Read the thread (404 before its first run); ``interrupted`` while it waits."""
    snap = _snapshot(rt, user, thread_id)
    pending = _interrupts(snap)
    return {
        "thread_id": thread_id,
        "created_at": snap.created_at,
        "updated_at": snap.created_at,
        "metadata": {},
        "status": "interrupted" if pending else "idle",
        "config": {},
        "values": jsonable(dict(snap.values)),
        "interrupts": {t.id: [i for i in pending] for t in snap.tasks or () if t.interrupts},
    }


def _interrupts(snap: Any) -> list[dict[str, Any]]:
    return [{"value": jsonable(i.value), "id": i.id} for i in (snap.interrupts or ())]


@router.get("/threads/{thread_id}/state")
def thread_state(user: AnyUser, rt: RuntimeDep, thread_id: str = ThreadId) -> dict[str, Any]:
    """The thread's values, next nodes, tasks and pending interrupts."""
    return state_view(_snapshot(rt, user, thread_id, missing_ok=True), thread_id)


def state_view(snap: Any, thread_id: str) -> dict[str, Any]:
    """A state snapshot as LangGraph's ``ThreadState`` (also one entry of the history)."""
    conf = (snap.config or {}).get("configurable") or {}
    tasks = [
        {
            "id": t.id,
            "name": t.name,
            "path": list(t.path),
            "error": None,
            "interrupts": [{"value": jsonable(i.value), "id": i.id} for i in t.interrupts],
            "checkpoint": None,
            "state": None,
            "result": None,
        }
        for t in snap.tasks or ()
    ]
    return {
        "values": jsonable(dict(snap.values or {})),
        "next": list(snap.next or ()),
        "tasks": tasks,
        "metadata": jsonable(snap.metadata or {}),
        "created_at": snap.created_at,
        "checkpoint": {
            "thread_id": thread_id,
            "checkpoint_ns": conf.get("checkpoint_ns", ""),
            "checkpoint_id": conf.get("checkpoint_id"),
            "checkpoint_map": None,
        },
        "parent_checkpoint": _checkpoint(snap.parent_config, thread_id),
        "interrupts": _interrupts(snap),
    }


def _checkpoint(config: Any, thread_id: str) -> dict[str, Any] | None:
    conf = (config or {}).get("configurable") or {}
    if not conf.get("checkpoint_id"):
        return None
    return {
        "thread_id": thread_id,
        "checkpoint_ns": conf.get("checkpoint_ns", ""),
        "checkpoint_id": conf["checkpoint_id"],
        "checkpoint_map": None,
    }


def _goal_text(data: dict[str, Any] | None) -> str:
    """The goal of a run (the limits of ``/v1``: :mod:`userops.text_limits`)."""
    data = data or {}
    if isinstance(data.get("goal"), str) and data["goal"].strip():
        return check_text(str(data["goal"]), "input.goal")
    messages = data.get("messages")
    if isinstance(messages, list) and messages:
        last = messages[-1]
        content = last.get("content") if isinstance(last, dict) else last
        if isinstance(content, str) and content.strip():
            where = f"input.messages.{len(messages) - 1}" + (
                ".content" if last is not content else ""
            )
            return check_text(content, where)
    raise BadInput.one("give input.messages (a user message) or input.goal", field="input")


def _run(
    rt: Any, hub: Hub, user: AccountInfo, thread_id: str, body: RunIn, on_update: Update | None
) -> Any:
    """Run (or resume) the thread; its progress and end go to followers through ``hub``."""

    def both(node: str, update: dict[str, Any]) -> None:
        hub.publish(thread_id, "progress", progress_event(node, update))
        if on_update is not None:
            on_update(node, update)

    res = _execute(rt, user, thread_id, body, both)
    hub.publish(thread_id, "state", thread_view(res))
    return res


def _execute(rt: Any, user: AccountInfo, thread_id: str, body: RunIn, on_update: Update) -> Any:
    _check_assistant(body.assistant_id)
    if body.command and "resume" in body.command:
        decision = resume_decision(body.command["resume"])  # HITL or Agent Inbox shape
        check_role(user.role, str(decision["type"]))  # the rule of /v1 too
        approval_id = rt.get(thread_id).approval_id
        if approval_id is None:
            raise Conflict(f"thread {thread_id} is not waiting for a decision")
        decide(rt, approval_id, decision, actor=user.name, on_update=on_update)
        return rt.get(thread_id)
    if user.role not in ("operator", "admin"):
        raise PolicyRefused(f"role {user.role} may not start runs", reason="role")
    return rt.start(
        _goal_text(body.input),
        thread_id=thread_id,
        actor=user.name,
        on_update=on_update,
        owner_only=not sees_all(user.role),
    )


def _final(rt: Any, thread_id: str, res: Any) -> dict[str, Any]:
    """The run's values with ``__interrupt__`` carrying the id ``get_state`` shows too."""
    out: dict[str, Any] = jsonable(res.values)
    if res.interrupt is not None:
        snap = rt.graph.get_state({"configurable": {"thread_id": thread_id}})
        ids = [i.id for i in snap.interrupts or ()]
        out["__interrupt__"] = [{"value": jsonable(res.interrupt), "id": ids[0] if ids else None}]
    return out


@router.post("/threads/{thread_id}/runs/wait")
def run_wait(
    body: RunIn, user: AnyUser, rt: RuntimeDep, services: ServicesDep, thread_id: str = ThreadId
) -> dict[str, Any]:
    """Run to the interrupt or the end; return the values (with ``__interrupt__``)."""
    return _final(rt, thread_id, _run(rt, services.hub, user, thread_id, body, None))


@router.post("/threads/{thread_id}/runs/stream", response_class=StreamingResponse)
def run_stream(
    body: RunIn, user: AnyUser, rt: RuntimeDep, services: ServicesDep, thread_id: str = ThreadId
) -> StreamingResponse:
    """Run and stream ``metadata``, ``updates`` per node, then the final ``values``."""
    modes = [body.stream_mode] if isinstance(body.stream_mode, str) else body.stream_mode
    modes = modes or ["values"]
    run_id = str(uuid.uuid4())

    def shape(node: str, update: dict[str, Any]) -> tuple[str, Any]:
        return ("updates", {node: update}) if "updates" in modes else ("progress", {"node": node})

    def done(res: Any) -> tuple[str, Any]:
        if "values" in modes:
            return ("values", _final(rt, thread_id, res))
        return ("updates", {"__interrupt__": _final(rt, thread_id, res).get("__interrupt__", [])})

    events = stream_run(lambda cb: _run(rt, services.hub, user, thread_id, body, cb), done, shape)

    def with_metadata() -> Any:
        yield sse("metadata", {"run_id": run_id, "attempt": 1})
        yield from events

    return StreamingResponse(
        with_metadata(),
        media_type="text/event-stream",
        headers={"Content-Location": f"/threads/{thread_id}/runs/{run_id}"},
    )

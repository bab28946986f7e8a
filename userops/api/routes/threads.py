"""Operator threads: start with a goal, post a message, read state, stream progress (SSE)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from userops.api.deps import AnyUser, EngineDep, Operator, RuntimeDep
from userops.api.loop import Update, jsonable, stream_run, thread_view
from userops.approvals import audit
from userops.errors import NotFound

router = APIRouter(prefix="/v1/threads", tags=["threads"])
ThreadId = Path(pattern=r"^[A-Za-z0-9_.:-]{1,64}$", description="Thread id.")


class NewThread(BaseModel):
    """A new operator thread."""

    goal: str = Field(min_length=1, max_length=4000)
    """The operator's goal in their own words."""
    thread_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    """Optional id of the new thread (default: generated)."""


class OperatorMessage(BaseModel):
    """A message from the operator on an existing thread."""

    text: str = Field(min_length=1, max_length=4000)
    """What the operator says."""


def _audit_start(engine: Any, actor: str, thread_id: str, text: str) -> None:
    with engine.begin() as conn:
        audit(conn, actor, "thread.message", "thread", thread_id, {"text": text[:500]})


def _start(rt: Any, engine: Any, actor: str, text: str, thread_id: str | None) -> dict[str, Any]:
    import uuid

    tid = thread_id or f"t-{uuid.uuid4().hex[:12]}"
    _audit_start(engine, actor, tid, text)
    return thread_view(rt.start(text, thread_id=tid, actor=actor))


@router.post("", status_code=201)
def create_thread(body: NewThread, user: Operator, rt: RuntimeDep, engine: EngineDep) -> Any:
    """Start a thread with a goal and run it to the approval gate (or its end)."""
    return _start(rt, engine, user.name, body.goal, body.thread_id)


@router.post("/{thread_id}/messages")
def post_message(
    body: OperatorMessage,
    user: Operator,
    rt: RuntimeDep,
    engine: EngineDep,
    thread_id: str = ThreadId,
) -> Any:
    """Send the operator's message on the thread and run it (409 while it runs or waits)."""
    return _start(rt, engine, user.name, body.text, thread_id)


@router.get("/{thread_id}")
def get_thread(_user: AnyUser, rt: RuntimeDep, thread_id: str = ThreadId) -> Any:
    """Read the thread's state: status, pending approval, messages, KPI."""
    res = rt.get(thread_id)
    if not res.values:
        raise NotFound(f"no thread {thread_id!r}")
    return thread_view(res)


@router.post("/{thread_id}/stream", response_class=StreamingResponse)
def stream_message(
    body: OperatorMessage,
    user: Operator,
    rt: RuntimeDep,
    engine: EngineDep,
    thread_id: str = ThreadId,
) -> StreamingResponse:
    """Send a message and stream progress as server-sent events (``progress``, ``state``)."""
    _audit_start(engine, user.name, thread_id, body.text)

    def run(on_update: Update) -> Any:
        return rt.start(body.text, thread_id=thread_id, actor=user.name, on_update=on_update)

    events = stream_run(run, lambda res: ("state", jsonable(thread_view(res))))
    return StreamingResponse(events, media_type="text/event-stream")

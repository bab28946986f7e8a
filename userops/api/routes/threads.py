"""Operator threads: start with a goal, post a message, read state, stream progress (SSE).

Operators read and act only on the threads they started; approvers and admins read all
(:mod:`userops.threads.access`). Another operator's thread answers 404, like a missing one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from userops.accounts import AccountInfo
from userops.api.deps import AnyUser, Operator, RuntimeDep, Services, ServicesDep
from userops.api.loop import Update, jsonable, progress_event, sse, stream_run, thread_view
from userops.approvals.records import audit
from userops.errors import NotFound
from userops.text_limits import UserText
from userops.threads.access import THREAD_ID_PATTERN, may_see, sees_all

router = APIRouter(prefix="/v1/threads", tags=["threads"])
ThreadId = Path(pattern=THREAD_ID_PATTERN, description="Thread id (a UUID or t-<hex>).")


class NewThread(BaseModel):
    """A new operator thread."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not ignored

    goal: UserText
    """The operator's goal in their own words."""
    thread_id: str | None = Field(default=None, pattern=THREAD_ID_PATTERN)
    """Optional id of the new thread (default: generated)."""


class OperatorMessage(BaseModel):
    """A message from the operator on an existing thread."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not ignored

    text: UserText
    """What the operator says."""


def _audit_start(engine: Any, actor: str, thread_id: str, text: str) -> None:
    with engine.begin() as conn:
        audit(conn, actor, "thread.message", "thread", thread_id, {"text": text[:500]})


def visible(rt: Any, user: AccountInfo, thread_id: str) -> Any:
    """Return the thread's :class:`~agents.runtime.threads.RunResult` if ``user`` may see it.

    Raises:
        NotFound: no such thread, or another operator's.
    """
    res = rt.get(thread_id)
    if not res.values or not may_see(user.name, user.role, res.values):
        raise NotFound(f"no thread {thread_id!r}")
    return res


def _writable(rt: Any, user: AccountInfo, thread_id: str) -> None:
    """Refuse (404) a message on another operator's thread; a new thread is anyone's."""
    if not sees_all(user.role) and rt.get(thread_id).values:
        visible(rt, user, thread_id)


def _start(
    rt: Any, services: Services, user: AccountInfo, text: str, tid: str | None
) -> dict[str, Any]:
    import uuid

    tid = tid or f"t-{uuid.uuid4().hex[:12]}"
    _writable(rt, user, tid)
    _audit_start(services.engine, user.name, tid, text)
    hub = services.hub

    def on_update(node: str, update: dict[str, Any]) -> None:
        hub.publish(tid, "progress", progress_event(node, update))

    res = rt.start(
        text,
        thread_id=tid,
        actor=user.name,
        on_update=on_update,
        owner_only=not sees_all(user.role),
    )
    view = thread_view(res)
    hub.publish(tid, "state", view)
    return view


@router.post("", status_code=201)
def create_thread(body: NewThread, user: Operator, rt: RuntimeDep, services: ServicesDep) -> Any:
    """Start a thread with a goal and run it to the approval gate (or its end)."""
    return _start(rt, services, user, body.goal, body.thread_id)


@router.post("/{thread_id}/messages")
def post_message(
    body: OperatorMessage,
    user: Operator,
    rt: RuntimeDep,
    services: ServicesDep,
    thread_id: str = ThreadId,
) -> Any:
    """Send the operator's message on the thread and run it (409 while it runs or waits)."""
    return _start(rt, services, user, body.text, thread_id)


@router.get("/{thread_id}")
def get_thread(user: AnyUser, rt: RuntimeDep, thread_id: str = ThreadId) -> Any:
    """Read the thread's state: status, pending approval, messages, KPI."""
    return thread_view(visible(rt, user, thread_id))


@router.post("/{thread_id}/stream", response_class=StreamingResponse)
def stream_message(
    body: OperatorMessage,
    user: Operator,
    rt: RuntimeDep,
    services: ServicesDep,
    thread_id: str = ThreadId,
) -> StreamingResponse:
    """Send a message and stream progress as server-sent events (``progress``, ``state``)."""
    _writable(rt, user, thread_id)
    _audit_start(services.engine, user.name, thread_id, body.text)
    hub = services.hub

    def run(on_update: Update) -> Any:
        def both(node: str, update: dict[str, Any]) -> None:
            hub.publish(thread_id, "progress", progress_event(node, update))
            on_update(node, update)

        res = rt.start(
            body.text,
            thread_id=thread_id,
            actor=user.name,
            on_update=both,
            owner_only=not sees_all(user.role),
        )
        hub.publish(thread_id, "state", thread_view(res))
        return res

    events = stream_run(run, lambda res: ("state", jsonable(thread_view(res))))
    return StreamingResponse(events, media_type="text/event-stream")


def _snapshot(hub: Any, rt: Any, thread_id: str) -> tuple[int, dict[str, Any]]:
    after = hub.last_id(thread_id)
    return after, thread_view(rt.get(thread_id))


def _sees(rt: Any, user: AccountInfo, thread_id: str) -> bool | None:
    """Whether ``user`` may follow the thread; None while it does not exist yet."""
    if sees_all(user.role):
        return True
    values = rt.get(thread_id).values
    return may_see(user.name, user.role, values) if values else None


@router.get("/{thread_id}/events", response_class=StreamingResponse)
async def follow_thread(
    user: AnyUser,
    rt: RuntimeDep,
    services: ServicesDep,
    thread_id: str = ThreadId,
    heartbeat: float = Query(default=15.0, ge=0.5, le=60.0),
    last_event_id: int | None = Header(default=None, ge=0, le=2**62),
) -> StreamingResponse:
    """Follow a thread over SSE: its ``state``, then ``progress`` and ``state`` as runs go.

    Runs executed by any API process on the same store are seen (events go through the
    store). Each recorded event carries an ``id:``; a client that reconnects with
    ``Last-Event-ID`` gets the events after it instead of the current state. A ``ping``
    comes every ``heartbeat`` seconds.

    A thread that does not exist yet can be followed (its first run is seen). Another
    operator's thread looks exactly like one that does not exist: state ``new``, then
    pings; none of its events are sent.
    """
    from agents.runtime.threads import RunResult

    hub = services.hub
    first: dict[str, Any] | None = None
    seen = await run_in_threadpool(_sees, rt, user, thread_id)
    if last_event_id is None:  # cursor before state: an event in between comes twice, not never
        after, first = await run_in_threadpool(_snapshot, hub, rt, thread_id)
        if seen is False:
            first = thread_view(RunResult(thread_id, "new", {}, None))
    else:
        after = last_event_id
    metrics = services.metrics

    async def events() -> AsyncIterator[str]:
        nonlocal seen
        metrics.streams.inc()
        try:
            async with hub.subscribe(thread_id, after) as q:
                if first is not None:
                    yield sse("state", first)
                while True:
                    try:
                        event_id, event, data = await asyncio.wait_for(q.get(), heartbeat)
                    except TimeoutError:
                        yield sse("ping", {"t": time.time()})
                        continue
                    if seen is None:  # the thread came to life: is it the caller's?
                        seen = await run_in_threadpool(_sees, rt, user, thread_id)
                    if not seen:
                        continue
                    yield sse(event, data, event_id)
        finally:
            metrics.streams.dec()

    return StreamingResponse(events(), media_type="text/event-stream")

"""The LangGraph server API's assistant and foreground run routes (``langgraph-sdk``).

``assistants.search`` / ``get`` (the one assistant, the loop), ``runs.wait`` and
``runs.stream`` on a thread. Same tokens and roles as ``/v1`` (``Authorization: Bearer``
or ``x-api-key``), and the same thread rules: ids are validated (422 naming
``thread_id``), and operators see and run only their own threads (another's answers 404,
like a missing one). Threads are in :mod:`userops.api.routes.lg_thread_crud` and
:mod:`~userops.api.routes.lg_threads`, background runs in :mod:`~userops.api.routes.lg_runs`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import StreamingResponse

from userops.api import lg_live
from userops.api.deps import AnyUser, RuntimeDep, ServicesDep
from userops.api.lg_runner import (
    RunIn,
    check_assistant,
    new_run,
    perform,
    prepare,
)
from userops.api.lg_views import ASSISTANT_ID, GRAPH_ID, final_values
from userops.api.loop import sse
from userops.api.routes.threads import ThreadId

router = APIRouter(tags=["langgraph"])
_EPOCH = "2026-01-01T00:00:00+00:00"
_check_assistant = check_assistant
__all__ = ["ASSISTANT_ID", "GRAPH_ID", "_assistant", "_check_assistant", "router"]


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


@router.post("/assistants/search")
def search_assistants(_user: AnyUser, body: dict[str, Any] = Body(default={})) -> Any:
    """The one assistant: the userops loop."""
    graph_id = body.get("graph_id")
    return [] if graph_id not in (None, GRAPH_ID) else [_assistant()]


@router.get("/assistants/{assistant_id}")
def get_assistant(assistant_id: str, _user: AnyUser) -> dict[str, Any]:
    """Read the assistant."""
    check_assistant(assistant_id)
    return _assistant()


def start_run(
    rt: Any, services: Any, user: Any, thread_id: str, body: RunIn, default: Any
) -> lg_live.Live:
    """Check, record and start a run in a worker thread; return it live."""
    plan = prepare(rt, services, user, thread_id, body, default)
    run_id = str(uuid.uuid4())
    new_run(services, plan, body, run_id)
    live = lg_live.register(run_id, thread_id, id(services))
    lg_live.spawn(live, lambda lv: perform(rt, services, plan, lv))
    return live


@router.post("/threads/{thread_id}/runs/wait")
def run_wait(
    body: RunIn, user: AnyUser, rt: RuntimeDep, services: ServicesDep, thread_id: str = ThreadId
) -> dict[str, Any]:
    """Run to the interrupt or the end; return the values (with ``__interrupt__``)."""
    live = start_run(rt, services, user, thread_id, body, ["values"])
    live.done.wait()
    if live.error is not None:
        raise live.error
    return final_values(rt, thread_id)


def run_events(live: lg_live.Live, start: int = 0, modes: list[str] | None = None) -> Iterator[str]:
    """A run's SSE: ``metadata`` (run id), its parts, and ``error`` if it failed."""
    yield sse("metadata", {"run_id": live.run_id, "attempt": 1})
    for event, data in live.follow(start, modes):
        yield sse(event, data)
    err = live.error
    if err is not None and not isinstance(err, lg_live.Cancelled):
        yield sse("error", {"error": type(err).__name__, "message": str(err)})


@router.post("/threads/{thread_id}/runs/stream", response_class=StreamingResponse)
def run_stream(
    body: RunIn, user: AnyUser, rt: RuntimeDep, services: ServicesDep, thread_id: str = ThreadId
) -> StreamingResponse:
    """Run and stream ``metadata``, then the parts of the requested stream modes.

    A run refused at once (a busy thread, a bad resume) is the error's status (409, 422),
    not a broken stream.
    """
    live = start_run(rt, services, user, thread_id, body, ["values"])
    live.first()
    return StreamingResponse(
        run_events(live),
        media_type="text/event-stream",
        headers={"Content-Location": f"/threads/{thread_id}/runs/{live.run_id}"},
    )

"""LangGraph background runs on a thread: ``runs.create``, ``list``, ``get``, ``join``...

Also ``join_stream``, ``cancel`` and ``delete``.

A run is checked and recorded at once (``pending``), then runs in a worker thread of this
process; its record (:mod:`userops.threads.records`) moves ``running`` → ``success`` |
``error`` | ``interrupted`` (cancelled). ``multitask_strategy`` is ``reject``: a run on a
thread that already has one pending or running is a 409. ``cancel`` stops the run at its
next node boundary (``action`` ``interrupt``; ``rollback`` is refused, 422); ``join``
waits for the end and answers the thread's values; ``join_stream`` streams the run's parts
from its start (this process keeps them while it runs and for its last 200 runs after).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse

from userops.api import lg_live
from userops.api.deps import AnyUser, RuntimeDep, ServicesDep
from userops.api.lg_access import find
from userops.api.lg_busy import busy_threads
from userops.api.lg_runner import RunIn
from userops.api.lg_stream import modes_of
from userops.api.lg_views import final_values
from userops.api.loop import sse
from userops.api.routes.langgraph_compat import run_events, start_run
from userops.api.routes.threads import ThreadId
from userops.errors import BadInput, Conflict, NotFound, PolicyRefused
from userops.threads import records
from userops.threads.access import THREAD_ID_PATTERN, sees_all

router = APIRouter(tags=["langgraph"])
RunId = Path(pattern=THREAD_ID_PATTERN, description="Run id (a UUID).")
POLL_S = 0.1
"""How often a process that does not run a run polls its record (``join`` elsewhere)."""


def _run(rt: Any, services: Any, user: Any, thread_id: str, run_id: str) -> records.RunRow:
    find(rt, services.engine, user, thread_id)  # 404 unless the thread is visible
    run = records.get_run(services.engine, run_id)
    if run is None or run.thread_id != thread_id:
        raise NotFound(f"no run {run_id!r} on thread {thread_id!r}")
    return run


@router.post("/threads/{thread_id}/runs")
def create_run(
    body: RunIn, user: AnyUser, rt: RuntimeDep, services: ServicesDep, thread_id: str = ThreadId
) -> JSONResponse:
    """Start a background run; answer its record (``pending`` or already ``running``)."""
    if lg_live.on_thread(thread_id) or thread_id in busy_threads(rt, services.engine):
        raise Conflict(f"thread {thread_id} has a run pending or running (multitask: reject)")
    live = start_run(rt, services, user, thread_id, body, ["values"])
    run = records.get_run(services.engine, live.run_id)
    view = run.view() if run else {"run_id": live.run_id}
    where = f"/threads/{thread_id}/runs/{live.run_id}"
    return JSONResponse(view, headers={"Content-Location": where})


@router.get("/threads/{thread_id}/runs")
def list_runs(
    user: AnyUser,
    rt: RuntimeDep,
    services: ServicesDep,
    thread_id: str = ThreadId,
    limit: int = Query(default=10, ge=0, le=1000),
    offset: int = Query(default=0, ge=0, le=10**9),
    status: str | None = Query(default=None),
) -> list[dict[str, Any]]:
    """The thread's runs, newest first (``status``, ``limit``, ``offset``)."""
    if status is not None and status not in records.RUN_STATUSES:
        raise BadInput.one(
            f"must be one of {', '.join(records.RUN_STATUSES)}", field="status", value=status
        )
    find(rt, services.engine, user, thread_id)
    runs = records.thread_runs(services.engine, thread_id, [status] if status else None)
    return [r.view() for r in runs[offset : offset + limit]]


@router.get("/threads/{thread_id}/runs/{run_id}")
def get_run(
    user: AnyUser,
    rt: RuntimeDep,
    services: ServicesDep,
    thread_id: str = ThreadId,
    run_id: str = RunId,
) -> dict[str, Any]:
    """The run's record."""
    return _run(rt, services, user, thread_id, run_id).view()


def _wait(services: Any, run_id: str) -> None:
    live = lg_live.get(run_id)
    if live is not None:
        live.done.wait()
        return
    run = records.get_run(services.engine, run_id)
    while run is not None and run.status in records.ACTIVE:  # run by another process
        time.sleep(POLL_S)
        run = records.get_run(services.engine, run_id)


@router.get("/threads/{thread_id}/runs/{run_id}/join")
def join_run(
    user: AnyUser,
    rt: RuntimeDep,
    services: ServicesDep,
    thread_id: str = ThreadId,
    run_id: str = RunId,
) -> dict[str, Any]:
    """Wait for the run to end; answer the thread's values (with ``__interrupt__``)."""
    _run(rt, services, user, thread_id, run_id)
    _wait(services, run_id)
    return final_values(rt, thread_id)


@router.get("/threads/{thread_id}/runs/{run_id}/stream", response_class=StreamingResponse)
def join_stream(
    user: AnyUser,
    rt: RuntimeDep,
    services: ServicesDep,
    thread_id: str = ThreadId,
    run_id: str = RunId,
    stream_mode: list[str] | None = Query(default=None),
) -> StreamingResponse:
    """Stream the run's parts (of ``stream_mode``, default all of the run's) to its end."""
    run = _run(rt, services, user, thread_id, run_id)
    asked = [m for m in stream_mode or () if m]  # the SDK sends ``stream_mode=`` for none
    modes = modes_of(asked, tuple(run.kwargs.get("stream_mode") or ["values"]))
    live = lg_live.get(run_id)
    if live is not None:
        return StreamingResponse(run_events(live, 0, modes), media_type="text/event-stream")

    def ended() -> Any:  # not run here: its end, once the record says it ended
        _wait(services, run_id)
        yield sse("metadata", {"run_id": run_id, "attempt": 1})
        if "values" in modes:
            yield sse("values", final_values(rt, thread_id))

    return StreamingResponse(ended(), media_type="text/event-stream")


@router.post("/threads/{thread_id}/runs/{run_id}/cancel")
def cancel_run(
    user: AnyUser,
    rt: RuntimeDep,
    services: ServicesDep,
    thread_id: str = ThreadId,
    run_id: str = RunId,
    wait: int = Query(default=0, ge=0, le=1),
    action: str = Query(default="interrupt"),
) -> Response:
    """Cancel the run (its starter or an admin): it stops at its next node boundary.

    ``wait=1`` answers once it has stopped. A run that already ended is left as it is.
    """
    if action != "interrupt":
        raise BadInput.one("only interrupt is supported", field="action", value=action)
    run = _run(rt, services, user, thread_id, run_id)
    if run.owner != user.name and not (sees_all(user.role) and user.role == "admin"):
        raise PolicyRefused("only the run's starter or an admin cancels it", reason="role")
    if run.status not in records.ACTIVE:
        return Response(status_code=202)
    live = lg_live.get(run_id)
    if live is None:
        raise Conflict(f"run {run_id} runs in another API process; cancel it there")
    live.cancel.set()
    if wait:
        live.done.wait()
    return Response(status_code=202)


@router.delete("/threads/{thread_id}/runs/{run_id}", status_code=204)
def delete_run(
    user: AnyUser,
    rt: RuntimeDep,
    services: ServicesDep,
    thread_id: str = ThreadId,
    run_id: str = RunId,
) -> Response:
    """Forget a finished run's record (409 while it is pending or running)."""
    run = _run(rt, services, user, thread_id, run_id)
    if run.status in records.ACTIVE:
        raise Conflict(f"run {run_id} is {run.status}; cancel it first")
    records.delete_run(services.engine, run_id)
    return Response(status_code=204)

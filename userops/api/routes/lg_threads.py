"""LangGraph thread listing and history: ``threads.search``, ``count``, ``get_history``.

A thread is listed once it has run (its events are in ``thread_events``), newest activity
first. Its ``status`` comes from its latest checkpoint: ``interrupted`` while it waits for
a decision, ``error`` when a task failed, ``busy`` while nodes are still due, else ``idle``.
Operators list only their own threads, approvers and admins all (:mod:`userops.threads.access`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Response
from sqlalchemy import delete, func, select

from userops.accounts import AccountInfo
from userops.api.deps import AnyUser, RuntimeDep, ServicesDep
from userops.api.loop import jsonable
from userops.api.routes.langgraph_compat import _snapshot, state_view
from userops.api.routes.threads import ThreadId
from userops.errors import BadInput, Conflict, PolicyRefused
from userops.store.models import ThreadEvent
from userops.threads.access import check_thread_id, may_see

router = APIRouter(tags=["langgraph"])
STATUSES = ("idle", "busy", "interrupted", "error")
MAX_LIMIT = 1000


def thread_status(snap: Any) -> str:
    """``idle``, ``busy``, ``interrupted`` or ``error`` from a state snapshot."""
    if snap.interrupts:
        return "interrupted"
    if any(getattr(t, "error", None) for t in snap.tasks or ()):
        return "error"
    return "busy" if snap.next else "idle"


def thread_view(snap: Any, thread_id: str) -> dict[str, Any]:
    """A snapshot as LangGraph's ``Thread``."""
    pending = [{"value": jsonable(i.value), "id": i.id} for i in snap.interrupts or ()]
    return {
        "thread_id": thread_id,
        "created_at": snap.created_at,
        "updated_at": snap.created_at,
        "metadata": {},
        "status": thread_status(snap),
        "config": {},
        "values": jsonable(dict(snap.values or {})),
        "interrupts": {t.id: pending for t in snap.tasks or () if t.interrupts},
    }


def _int(body: dict[str, Any], key: str, default: int, top: int) -> int:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
        raise BadInput.one(f"must be an integer from 0 to {top}", field=key, value=str(value))
    return value


def _filters(body: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    status = body.get("status")
    if status is not None and status not in STATUSES:
        raise BadInput.one(f"must be one of {', '.join(STATUSES)}", field="status", value=status)
    values = body.get("values") or {}
    if not isinstance(values, dict):
        raise BadInput.one("must be an object", field="values")
    return status, values


def _visible(rt: Any, services: Any, user: AccountInfo, body: dict[str, Any]) -> list[Any]:
    """The threads ``user`` may see that match ``body``'s status and values, newest first."""
    status, values = _filters(body)
    if body.get("metadata"):
        return []  # no thread metadata is kept yet: a metadata filter matches nothing
    ids = body.get("ids")
    last = func.max(ThreadEvent.id)
    q = select(ThreadEvent.thread_id).group_by(ThreadEvent.thread_id).order_by(last.desc())
    with services.engine.connect() as conn:
        thread_ids = [str(t) for t in conn.execute(q).scalars()]
    if isinstance(ids, list):
        thread_ids = [t for t in thread_ids if t in {str(i) for i in ids}]
    found = []
    for tid in thread_ids:
        snap = rt.graph.get_state({"configurable": {"thread_id": tid}})
        vals = snap.values or {}
        if not vals or not may_see(user.name, user.role, vals):
            continue
        if status is not None and thread_status(snap) != status:
            continue
        if any(jsonable(vals.get(k)) != v for k, v in values.items()):
            continue
        found.append((tid, snap))
    return found


@router.post("/threads/search")
def search_threads(
    user: AnyUser, rt: RuntimeDep, services: ServicesDep, body: dict[str, Any] = Body(default={})
) -> list[dict[str, Any]]:
    """Threads by ``status``, ``values``, ``ids``; ``limit`` (10) and ``offset``."""
    limit = _int(body, "limit", 10, MAX_LIMIT)
    offset = _int(body, "offset", 0, 10**9)
    found = _visible(rt, services, user, body)
    return [thread_view(snap, tid) for tid, snap in found[offset : offset + limit]]


@router.post("/threads/count")
def count_threads(
    user: AnyUser, rt: RuntimeDep, services: ServicesDep, body: dict[str, Any] = Body(default={})
) -> int:
    """How many threads ``threads.search`` would list without a limit."""
    return len(_visible(rt, services, user, body))


@router.post("/threads/{thread_id}/history")
def thread_history(
    user: AnyUser, rt: RuntimeDep, thread_id: str = ThreadId, body: dict[str, Any] = Body({})
) -> list[dict[str, Any]]:
    """The thread's checkpoints, newest first (``limit``, default 10; ``before``)."""
    _snapshot(rt, user, thread_id)  # 404 unless visible
    limit = _int(body, "limit", 10, MAX_LIMIT)
    config = {"configurable": {"thread_id": thread_id}}
    before = body.get("before")
    if isinstance(before, dict) and isinstance(before.get("checkpoint_id"), str):
        cid = check_thread_id(before["checkpoint_id"], field="before.checkpoint_id")
        before = {"configurable": {"thread_id": thread_id, "checkpoint_id": cid}}
    elif before is not None:
        raise BadInput.one("must be a checkpoint object with checkpoint_id", field="before")
    snaps = rt.graph.get_state_history(config, limit=limit, before=before)
    return [state_view(s, thread_id) for s in snaps]


@router.delete("/threads/{thread_id}", status_code=204)
def delete_thread(
    user: AnyUser, rt: RuntimeDep, services: ServicesDep, thread_id: str = ThreadId
) -> Response:
    """Delete the thread's checkpoints and events (operators their own, admins any).

    Refused (409) while a run holds the thread or an approval waits on it: decide or reject
    it first, so no pending approval is left pointing at a thread that is gone.
    """
    from agents.runtime.locks import thread_lock

    if user.role not in ("operator", "admin"):
        raise PolicyRefused(f"role {user.role} may not delete threads", reason="role")
    with thread_lock(thread_id, rt.lock_url):  # ThreadBusy (409) while a run holds it
        snap = _snapshot(rt, user, thread_id)  # 404 unless visible
        if thread_status(snap) == "interrupted":
            raise Conflict(f"thread {thread_id} waits for a decision; decide it first")
        rt.graph.checkpointer.delete_thread(thread_id)
        with services.engine.begin() as conn:
            conn.execute(delete(ThreadEvent).where(ThreadEvent.thread_id == thread_id))
    return Response(status_code=204)

"""LangGraph ``threads.search``, ``count``, ``get_history`` and ``delete``.

A thread is listed once it has a record (``threads.create``) or has run, newest activity
first. Filters: ``status``, ``metadata`` (each key equal), ``values`` (each key equal),
``ids``; ``limit`` (10) and ``offset``. Its ``status`` (``lg_views.thread_status``):
``busy`` while a run of it is pending or running, ``interrupted`` while it waits for a
decision, ``error`` when a task failed, else ``idle``. Operators list only their own
threads, approvers and admins all (:mod:`userops.api.lg_access`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Response
from sqlalchemy import delete, func, select

from userops.accounts import AccountInfo
from userops.api.deps import AnyUser, RuntimeDep, ServicesDep
from userops.api.lg_access import find, owns, snapshot
from userops.api.lg_busy import busy_threads
from userops.api.lg_views import metadata_of, state_view, thread_status, thread_view
from userops.api.loop import jsonable
from userops.api.routes.threads import ThreadId
from userops.errors import BadInput, Conflict, PolicyRefused
from userops.store.models import ThreadEvent
from userops.threads import records
from userops.threads.access import check_thread_id

router = APIRouter(tags=["langgraph"])
STATUSES = ("idle", "busy", "interrupted", "error")
MAX_LIMIT = 1000


def _int(body: dict[str, Any], key: str, default: int, top: int) -> int:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
        raise BadInput.one(f"must be an integer from 0 to {top}", field=key, value=str(value))
    return value


def _object(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key) or {}
    if not isinstance(value, dict):
        raise BadInput.one("must be an object", field=key)
    return value


def _status(body: dict[str, Any]) -> str | None:
    status = body.get("status")
    if status is not None and status not in STATUSES:
        raise BadInput.one(f"must be one of {', '.join(STATUSES)}", field="status", value=status)
    return status


def _candidates(engine: Any) -> list[tuple[str, records.ThreadRow | None]]:
    """Every thread (record or events), newest activity first."""
    last = func.max(ThreadEvent.at)
    q = select(ThreadEvent.thread_id, last).group_by(ThreadEvent.thread_id)
    with engine.connect() as conn:
        events = {str(t): records.iso(at) or "" for t, at in conn.execute(q).all()}
    rows = {r.thread_id: r for r in records.all_threads(engine)}
    seen = {
        t: max(events.get(t, ""), r.updated_at if (r := rows.get(t)) else "")
        for t in {*events, *rows}
    }
    order = sorted(seen, key=lambda t: (seen[t], t), reverse=True)
    return [(t, rows.get(t)) for t in order]


def _visible(
    rt: Any, services: Any, user: AccountInfo, body: dict[str, Any], enough: int | None = None
) -> list[Any]:
    """The threads ``user`` may see that match ``body``'s filters, newest first.

    ``enough``: stop once that many match (a page needs no more; each candidate costs a
    checkpoint read, and Agent Inbox polls the first page several times a second).
    """
    status, values, metadata = _status(body), _object(body, "values"), _object(body, "metadata")
    ids = body.get("ids")
    wanted = {str(i) for i in ids} if isinstance(ids, list) else None
    busy = busy_threads(rt, services.engine)
    found = []
    for tid, row in _candidates(services.engine):
        if wanted is not None and tid not in wanted:
            continue
        snap = snapshot(rt, tid)
        if not owns(user, snap, row):
            continue
        if metadata and not records.matches(metadata_of(snap, row), metadata):
            continue
        if status is not None and thread_status(snap, tid in busy) != status:
            continue
        vals = snap.values or {}
        if any(jsonable(vals.get(k)) != v for k, v in values.items()):
            continue
        found.append(thread_view(snap, tid, row, tid in busy))
        if enough is not None and len(found) >= enough:
            break
    return found


@router.post("/threads/search")
def search_threads(
    user: AnyUser, rt: RuntimeDep, services: ServicesDep, body: dict[str, Any] = Body(default={})
) -> list[dict[str, Any]]:
    """Threads by ``status``, ``metadata``, ``values``, ``ids``; ``limit`` (10), ``offset``."""
    limit = _int(body, "limit", 10, MAX_LIMIT)
    offset = _int(body, "offset", 0, 10**9)
    return _visible(rt, services, user, body, enough=offset + limit)[offset : offset + limit]


@router.post("/threads/count")
def count_threads(
    user: AnyUser, rt: RuntimeDep, services: ServicesDep, body: dict[str, Any] = Body(default={})
) -> int:
    """How many threads ``threads.search`` would list without a limit."""
    return len(_visible(rt, services, user, body))


@router.post("/threads/{thread_id}/history")
def thread_history(
    user: AnyUser,
    rt: RuntimeDep,
    services: ServicesDep,
    thread_id: str = ThreadId,
    body: dict[str, Any] = Body({}),
) -> list[dict[str, Any]]:
    """The thread's checkpoints, newest first (``limit``, default 10; ``before``)."""
    find(rt, services.engine, user, thread_id)  # 404 unless visible
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
    """Delete the thread's checkpoints, events, record and runs.

    Operators delete their own threads, admins any.

    Refused (409) while a run holds the thread or an approval waits on it: decide or reject
    it first, so no pending approval is left pointing at a thread that is gone.
    """
    from agents.runtime.locks import thread_lock

    if user.role not in ("operator", "admin"):
        raise PolicyRefused(f"role {user.role} may not delete threads", reason="role")
    with thread_lock(thread_id, rt.lock_url):  # ThreadBusy (409) while a run holds it
        snap, _row = find(rt, services.engine, user, thread_id)  # 404 unless visible
        if thread_status(snap) == "interrupted":
            raise Conflict(f"thread {thread_id} waits for a decision; decide it first")
        rt.graph.checkpointer.delete_thread(thread_id)
        with services.engine.begin() as conn:
            conn.execute(delete(ThreadEvent).where(ThreadEvent.thread_id == thread_id))
        records.delete_thread(services.engine, thread_id)
    return Response(status_code=204)

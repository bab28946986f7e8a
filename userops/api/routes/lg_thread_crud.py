"""LangGraph ``threads.create``, ``get``, ``update``, ``get_state``, ``update_state``, ``copy``.

``get_state`` also at a past checkpoint (``checkpoint_id``).

A created thread has a record (its creator owns it, its ``metadata`` is kept) and can be
read before its first run. ``update`` merges ``metadata``. ``update_state`` supports one
thing, what Agent Inbox sends to mark an item resolved: ``values`` null with ``as_node``
``"__end__"`` on a thread waiting for a decision; it records the approval as rejected by
the caller (an approver or admin, by the rules of ``/v1`` decisions) and ends the thread
there. Any other state edit is refused (422): writing the loop's state directly would
bypass the approval gate. ``copy`` copies a thread's checkpoints and record to a new
thread; a thread waiting for a decision is not copied (409), so one approval never has
two threads.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Body, Path

from userops.api.deps import AnyUser, RuntimeDep, ServicesDep
from userops.api.lg_access import find, snapshot
from userops.api.lg_busy import busy_threads
from userops.api.lg_runner import check_metadata
from userops.api.lg_views import state_view, thread_status, thread_view
from userops.api.routes.threads import ThreadId
from userops.errors import BadInput, Conflict, NotFound, PolicyRefused
from userops.threads import records
from userops.threads.access import THREAD_ID_PATTERN, check_thread_id

router = APIRouter(tags=["langgraph"])
RESOLVED = "resolved in a LangGraph client (update_state as_node=__end__)"


def _view(rt: Any, engine: Any, thread_id: str, row: records.ThreadRow | None) -> dict[str, Any]:
    busy = thread_id in busy_threads(rt, engine)
    return thread_view(snapshot(rt, thread_id), thread_id, row, busy)


def _metadata(body: dict[str, Any]) -> dict[str, Any]:
    value = body.get("metadata") or {}
    if not isinstance(value, dict):
        raise BadInput.one("must be an object", field="metadata")
    return check_metadata(value)


@router.post("/threads")
def create_thread(
    user: AnyUser, rt: RuntimeDep, services: ServicesDep, body: dict[str, Any] = Body(default={})
) -> dict[str, Any]:
    """Create a thread owned by the caller, with ``metadata``.

    ``if_exists``: ``raise`` (409, the default) or ``do_nothing`` (the existing thread, if
    the caller may see it).
    """
    given = body.get("thread_id")
    tid = str(uuid.uuid4()) if given is None else check_thread_id(given)
    metadata = _metadata(body)
    if_exists = body.get("if_exists") or "raise"
    if if_exists not in ("raise", "do_nothing"):
        raise BadInput.one("must be raise or do_nothing", field="if_exists", value=str(if_exists))
    engine = services.engine
    row = records.get_thread(engine, tid)
    if row is not None or snapshot(rt, tid).values:
        if if_exists == "raise":
            raise Conflict(f"thread {tid} already exists")
        _snap, row = find(rt, engine, user, tid)  # 404 unless visible
        return _view(rt, engine, tid, row)
    row = records.create_thread(engine, tid, user.name, metadata)
    return _view(rt, engine, tid, row)


@router.get("/threads/{thread_id}")
def get_thread(
    user: AnyUser, rt: RuntimeDep, services: ServicesDep, thread_id: str = ThreadId
) -> dict[str, Any]:
    """Read the thread (from its creation on); ``interrupted`` while it waits."""
    _snap, row = find(rt, services.engine, user, thread_id)
    return _view(rt, services.engine, thread_id, row)


@router.patch("/threads/{thread_id}")
def update_thread(
    user: AnyUser,
    rt: RuntimeDep,
    services: ServicesDep,
    thread_id: str = ThreadId,
    body: dict[str, Any] = Body(default={}),
) -> dict[str, Any]:
    """Merge ``metadata`` into the thread's."""
    metadata = _metadata(body)
    snap, row = find(rt, services.engine, user, thread_id)
    owner = row.owner if row else (snap.values or {}).get("owner")
    check_metadata({**(row.metadata if row else {}), **metadata})  # merged, as it would be kept
    row = records.merge_metadata(services.engine, thread_id, owner, metadata)
    return _view(rt, services.engine, thread_id, row)


@router.get("/threads/{thread_id}/state")
def thread_state(
    user: AnyUser, rt: RuntimeDep, services: ServicesDep, thread_id: str = ThreadId
) -> dict[str, Any]:
    """The thread's values, next nodes, tasks and pending interrupts."""
    snap, _row = find(rt, services.engine, user, thread_id, missing_ok=True)
    return state_view(snap, thread_id)


def _at_checkpoint(rt: Any, services: Any, user: Any, thread_id: str, cid: Any) -> dict[str, Any]:
    find(rt, services.engine, user, thread_id)  # 404 unless visible
    cid = check_thread_id(cid, field="checkpoint_id")
    snap = rt.graph.get_state({"configurable": {"thread_id": thread_id, "checkpoint_id": cid}})
    if not snap.config or not snap.values:
        raise NotFound(f"no checkpoint {cid!r} on thread {thread_id!r}")
    return state_view(snap, thread_id)


@router.get("/threads/{thread_id}/state/{checkpoint_id}")
def state_at(
    user: AnyUser,
    rt: RuntimeDep,
    services: ServicesDep,
    thread_id: str = ThreadId,
    checkpoint_id: str = Path(pattern=THREAD_ID_PATTERN),
) -> dict[str, Any]:
    """The thread's state at one of its checkpoints (``get_state(checkpoint_id=...)``)."""
    return _at_checkpoint(rt, services, user, thread_id, checkpoint_id)


@router.post("/threads/{thread_id}/state/checkpoint")
def state_at_checkpoint(
    user: AnyUser,
    rt: RuntimeDep,
    services: ServicesDep,
    thread_id: str = ThreadId,
    body: dict[str, Any] = Body(default={}),
) -> dict[str, Any]:
    """The same, the checkpoint given as ``{"checkpoint": {"checkpoint_id": ...}}``."""
    checkpoint = body.get("checkpoint")
    if not isinstance(checkpoint, dict):
        raise BadInput.one("must be an object with checkpoint_id", field="checkpoint")
    return _at_checkpoint(rt, services, user, thread_id, checkpoint.get("checkpoint_id"))


@router.post("/threads/{thread_id}/state")
def update_state(
    user: AnyUser,
    rt: RuntimeDep,
    services: ServicesDep,
    thread_id: str = ThreadId,
    body: dict[str, Any] = Body(default={}),
) -> dict[str, Any]:
    """Mark a waiting thread resolved (``values`` null, ``as_node`` ``__end__``)."""
    from agents.runtime.locks import thread_lock
    from userops.approvals import records as approvals
    from userops.approvals.rules import check_role

    if body.get("values") is not None or body.get("as_node") != "__end__":
        raise BadInput.one(
            "only values null with as_node __end__ (mark resolved) is supported: a state "
            "edit would bypass the approval gate",
            field="as_node",
            value=str(body.get("as_node")),
        )
    check_role(user.role, "reject")
    engine = services.engine
    with thread_lock(thread_id, rt.lock_url):  # ThreadBusy (409) while a run holds it
        snap, _row = find(rt, engine, user, thread_id)
        if thread_status(snap) != "interrupted":
            raise Conflict(f"thread {thread_id} is not waiting for a decision")
        approval_id = str((snap.values or {}).get("approval_id"))
        decision = {"type": "reject", "message": RESOLVED}
        approvals.decide(
            engine,
            approval_id,
            decision,
            actor=user.name,
            allow_self_approval=rt.allow_self_approval,
        )
        config = rt.graph.update_state(
            {"configurable": {"thread_id": thread_id}}, None, as_node="__end__"
        )
    records.touch_thread(engine, thread_id, None)
    conf = dict(config.get("configurable") or {})
    return {"checkpoint": conf, "configurable": conf, "checkpoint_id": conf.get("checkpoint_id")}


@router.post("/threads/{thread_id}/copy")
def copy_thread(
    user: AnyUser, rt: RuntimeDep, services: ServicesDep, thread_id: str = ThreadId
) -> dict[str, Any]:
    """Copy the thread's checkpoints and metadata to a new thread (yours if you copy it)."""
    from agents.runtime.locks import thread_lock

    if user.role not in ("operator", "admin"):
        raise PolicyRefused(f"role {user.role} may not copy threads", reason="role")
    engine, new = services.engine, str(uuid.uuid4())
    with thread_lock(thread_id, rt.lock_url):
        snap, row = find(rt, engine, user, thread_id)
        if thread_status(snap) == "interrupted":
            raise Conflict(f"thread {thread_id} waits for a decision; decide it first")
        _copy_checkpoints(rt.graph.checkpointer, thread_id, new)
    owner = (snap.values or {}).get("owner") or (row.owner if row else user.name)
    copied = records.create_thread(engine, new, owner, row.metadata if row else {})
    return _view(rt, engine, new, copied)


def _copy_checkpoints(saver: Any, source: str, target: str) -> None:
    """Copy every checkpoint of ``source`` (oldest first) and its writes to ``target``."""
    tuples = list(saver.list({"configurable": {"thread_id": source}}))
    if not tuples:
        raise NotFound(f"thread {source} has no checkpoints to copy")
    for t in reversed(tuples):
        conf = t.config["configurable"]
        parent = (t.parent_config or {}).get("configurable", {}).get("checkpoint_id")
        into = {"thread_id": target, "checkpoint_ns": conf.get("checkpoint_ns", "")}
        if parent:
            into["checkpoint_id"] = parent
        cp = t.checkpoint
        saved = saver.put({"configurable": into}, cp, t.metadata, dict(cp["channel_versions"]))
        by_task: dict[str, list[tuple[str, Any]]] = {}
        for task_id, channel, value in t.pending_writes or ():
            by_task.setdefault(task_id, []).append((channel, value))
        for task_id, writes in by_task.items():
            saver.put_writes(saved, writes, task_id)

"""LangGraph's shapes of userops threads: ``Thread``, ``ThreadState`` and a run's end values.

A thread is what its latest checkpoint says (values, pending interrupts, tasks) plus its
record (:mod:`userops.threads.records`: owner, client metadata, times). Its ``status``:
``busy`` while a run of it is pending or running, ``interrupted`` while it waits for a
decision, ``error`` when a task failed, else ``idle``.
"""

from __future__ import annotations

import uuid
from typing import Any

from userops.api.loop import jsonable
from userops.threads.records import ThreadRow

GRAPH_ID = "userops"
ASSISTANT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "userops:loop"))


def metadata_of(snap: Any, row: ThreadRow | None) -> dict[str, Any]:
    """The thread's metadata: its record's, plus ``graph_id`` and ``assistant_id`` once it ran.

    Every thread runs the one graph, whichever API started it; Agent Inbox filters on these.
    """
    mine = dict(row.metadata) if row else {}
    if not snap.values:
        return mine
    return {"graph_id": GRAPH_ID, "assistant_id": ASSISTANT_ID, **mine}


def interrupts(snap: Any) -> list[dict[str, Any]]:
    """The snapshot's pending interrupts as ``[{"value", "id"}]``."""
    return [{"value": jsonable(i.value), "id": i.id} for i in (snap.interrupts or ())]


def thread_status(snap: Any, busy: bool = False) -> str:
    """``idle``, ``busy``, ``interrupted`` or ``error`` from a state snapshot."""
    if busy:
        return "busy"
    if snap.interrupts:
        return "interrupted"
    if any(getattr(t, "error", None) for t in snap.tasks or ()):
        return "error"
    return "busy" if snap.next else "idle"


def thread_view(
    snap: Any, thread_id: str, row: ThreadRow | None = None, busy: bool = False
) -> dict[str, Any]:
    """A thread as LangGraph's ``Thread`` (``values`` null before its first run)."""
    pending = interrupts(snap)
    values = dict(snap.values or {})
    created = row.created_at if row else snap.created_at
    updated = max(x for x in (row.updated_at if row else None, snap.created_at, created) if x)
    return {
        "thread_id": thread_id,
        "created_at": created,
        "updated_at": updated,
        "state_updated_at": snap.created_at or created,
        "metadata": metadata_of(snap, row),
        "status": thread_status(snap, busy),
        "config": {},
        "error": None,
        "values": jsonable(values) if values else None,
        "interrupts": {t.id: pending for t in snap.tasks or () if t.interrupts},
    }


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
        "interrupts": interrupts(snap),
        "checkpoint_id": conf.get("checkpoint_id"),
        "parent_checkpoint_id": (_checkpoint(snap.parent_config, thread_id) or {}).get(
            "checkpoint_id"
        ),
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


def final_values(rt: Any, thread_id: str) -> dict[str, Any]:
    """The thread's values with ``__interrupt__``, as ``runs.wait`` and ``runs.join`` answer.

    The interrupt id is the one ``get_state`` shows too.
    """
    snap = rt.graph.get_state({"configurable": {"thread_id": thread_id}})
    out: dict[str, Any] = jsonable(dict(snap.values or {}))
    pending = interrupts(snap)
    if pending:
        out["__interrupt__"] = pending
    return out

"""Drive the agent loop for the HTTP routes: JSON views, decisions by id, progress streams."""

from __future__ import annotations

import dataclasses
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from userops.approvals import records as approvals
from userops.errors import Conflict, ThreadBusy

Update = Callable[[str, dict[str, Any]], None]


def _default(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    return str(obj)


def jsonable(obj: Any) -> Any:
    """Return ``obj`` as plain JSON data (pydantic, dataclasses, dates, messages)."""
    return json.loads(json.dumps(obj, default=_default, ensure_ascii=False))


def message_view(msg: Any) -> dict[str, Any]:
    """Return a chat message as ``{"type", "content"}``."""
    return {"type": getattr(msg, "type", "ai"), "content": str(getattr(msg, "content", msg))}


def thread_view(res: Any) -> dict[str, Any]:
    """Return the public view of a :class:`agents.runtime.threads.RunResult`."""
    v = res.values
    return {
        "thread_id": res.thread_id,
        "status": res.status,
        "approval_id": res.approval_id,
        "campaign_id": v.get("campaign_id"),
        "interrupt": jsonable(res.interrupt),
        "messages": [message_view(m) for m in v.get("messages") or []],
        "kpi": jsonable(v.get("kpi")),
    }


def progress_event(node: str, update: dict[str, Any]) -> dict[str, Any]:
    """Summarize one node update for a progress stream (no plan dumps, only the news)."""
    return {
        "node": node,
        "status": update.get("status"),
        "messages": [message_view(m)["content"] for m in update.get("messages") or []],
        "keys": sorted(update),
    }


def _winner(engine: Any, approval_id: str, wait_s: float) -> approvals.ApprovalRecord:
    deadline = time.monotonic() + wait_s
    rec = approvals.get(engine, approval_id)
    while rec.status == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
        rec = approvals.get(engine, approval_id)
    return rec


def decide(
    rt: Any,
    approval_id: str,
    decision: dict[str, Any],
    *,
    actor: str,
    client_decision_id: str | None = None,
    on_update: Update | None = None,
    wait_s: float = 10.0,
    tap: Any = None,
) -> tuple[approvals.ApprovalRecord, bool]:
    """Decide ``approval_id`` once and resume its thread; return (record, replayed).

    A replay with the same ``client_decision_id`` returns the stored record. A second
    decider gets :class:`Conflict` carrying the winning decision (waiting up to ``wait_s``
    for a run in progress to record it); a thread that is not waiting (a run stopped short
    of the gate) is the runtime's own :class:`Conflict`, at once. ``tap``: the run's extra
    stream modes (:class:`agents.runtime.threads.Tap`).
    """
    rec = approvals.get(rt.engine, approval_id)
    if client_decision_id and rec.client_decision_id == client_decision_id:
        return rec, True
    if rec.status != "pending":
        raise rec.already_decided()
    if not rec.thread_id:
        out = approvals.decide(
            rt.engine,
            approval_id,
            decision,
            actor=actor,
            client_decision_id=client_decision_id,
            allow_self_approval=rt.allow_self_approval,
        )
        return out, False
    try:
        rt.resume(
            rec.thread_id,
            decision,
            actor=actor,
            on_update=on_update,
            approval_id=approval_id,
            decision_id=client_decision_id,
            tap=tap,
        )
    except Conflict as exc:
        won = _winner(rt.engine, approval_id, wait_s if isinstance(exc, ThreadBusy) else 0.0)
        if client_decision_id and won.client_decision_id == client_decision_id:
            return won, True
        if won.status == "pending":  # decided by nobody: the thread's own conflict
            raise
        raise won.already_decided() from exc
    return approvals.get(rt.engine, approval_id), False


def sse(event: str, data: Any, event_id: int | None = None) -> str:
    """Encode one server-sent event (with ``id:`` when it has one to resume from)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(jsonable(data), ensure_ascii=False)}\n\n"


def stream_run(
    run: Callable[[Update], Any],
    done: Callable[[Any], tuple[str, Any]],
    progress: Callable[[str, dict[str, Any]], tuple[str, Any]] | None = None,
) -> Iterator[str]:
    """Run ``run(on_update)`` in a thread and yield its progress as SSE, then ``done(result)``.

    ``progress(node, update)`` names and shapes each progress event (default: ``progress``
    with :func:`progress_event`).

    The first item is produced before the response starts, so that a :class:`Conflict`
    (a run already in progress) still becomes a 409 and not a broken stream.
    """
    q: queue.Queue[tuple[str, Any]] = queue.Queue()
    shape = progress or (lambda node, update: ("progress", progress_event(node, update)))

    def work() -> None:
        def on_update(node: str, update: dict[str, Any]) -> None:
            q.put(("progress", shape(node, update)))

        try:
            result = run(on_update)
            q.put(("done", result))
        except Exception as exc:  # handed to the consumer, re-raised there
            q.put(("error", exc))

    threading.Thread(target=work, daemon=True).start()
    first = q.get()
    if first[0] == "error":
        raise first[1]
    return _drain(first, q, done)


def _drain(
    first: tuple[str, Any], q: queue.Queue[tuple[str, Any]], done: Callable[[Any], tuple[str, Any]]
) -> Iterator[str]:
    item = first
    while True:
        kind, data = item
        if kind == "progress":
            yield sse(*data)
        elif kind == "done":
            yield sse(*done(data))
            return
        else:
            yield sse("error", {"detail": str(data)})
            return
        item = q.get()

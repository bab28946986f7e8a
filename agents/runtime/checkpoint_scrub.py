"""Scrub an erased person out of the LangGraph checkpoints (``userops privacy erase``).

A thread's state can hold a person: the approval card's previews render a sample
recipient's name into the message, tool results carry profile summaries and user ids, the
interrupt that waits at the gate carries the card. Every checkpoint of every thread the store
knows (campaigns, approvals, thread events) is read; a thread where the person appears
(:class:`~userops.cdp.dsr.scrub.Scrubber`: names and identifiers in any string, ids under
id keys) is rewritten under its run lock with the person replaced: the same checkpoints,
ids, parents, channel versions and pending writes, through the saver's own ``put`` and
``put_writes`` after ``delete_thread`` (so it works on the SQLite and PostgreSQL savers
alike). Only ``channel_values``, metadata (but its ``parents``) and pending writes are
scrubbed; ids and versions never are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple
from sqlalchemy import Engine

from userops.campaigns import known_threads
from userops.cdp.dsr.person import Person
from userops.cdp.dsr.scrub import Scrubber

Rewrite = tuple[CheckpointTuple, dict[str, Any], dict[str, Any], list[tuple[str, str, Any]]]


def _scrubbed(scrubber: Scrubber, tup: CheckpointTuple) -> Rewrite | None:
    cp = dict(tup.checkpoint)
    values = cp.get("channel_values") or {}
    new_values = scrubber.scrub(values)
    meta = dict(tup.metadata or {})
    new_meta = {k: v if k == "parents" else scrubber.scrub(v) for k, v in meta.items()}
    writes = [(t, c, scrubber.scrub(v)) for t, c, v in tup.pending_writes or []]
    changed = (
        new_values is not values
        or any(new_meta[k] is not meta[k] for k in meta)
        or any(w[2] is not o[2] for w, o in zip(writes, tup.pending_writes or [], strict=True))
    )
    if not changed:
        return None
    cp["channel_values"] = new_values
    return tup, cp, new_meta, writes


def scrub_thread(saver: BaseCheckpointSaver[Any], thread_id: str, scrubber: Scrubber) -> bool:
    """Rewrite ``thread_id``'s checkpoints without the person; False when none held them."""
    tuples = list(saver.list({"configurable": {"thread_id": thread_id}}))
    found = [(t, _scrubbed(scrubber, t)) for t in tuples]
    if all(r is None for _, r in found):
        return False
    plan: list[Rewrite] = [
        r
        if r is not None
        else (t, dict(t.checkpoint), dict(t.metadata or {}), list(t.pending_writes or []))
        for t, r in found
    ]
    plan.sort(key=lambda r: r[1]["id"])  # oldest first (checkpoint ids are time-ordered)
    saver.delete_thread(thread_id)
    for tup, cp, meta, writes in plan:
        conf = tup.config["configurable"]
        cfg: dict[str, Any] = {
            "thread_id": thread_id,
            "checkpoint_ns": conf.get("checkpoint_ns", ""),
        }
        if tup.parent_config is not None:
            cfg["checkpoint_id"] = tup.parent_config["configurable"]["checkpoint_id"]
        versions = dict(cp.get("channel_versions") or {})
        saved = saver.put({"configurable": cfg}, cp, meta, versions)  # type: ignore[arg-type]
        by_task: dict[str, list[tuple[str, Any]]] = {}
        for task_id, channel, value in writes:
            by_task.setdefault(task_id, []).append((channel, value))
        for task_id, items in by_task.items():
            saver.put_writes(saved, items, task_id)
    return True


def checkpoint_step(
    engine: Engine,
    saver: BaseCheckpointSaver[Any],
    lock: Callable[[str], AbstractContextManager[None]] | None = None,
) -> Callable[[Person], dict[str, int]]:
    """An ``outside`` step of :func:`userops.cdp.dsr.erase.erase_person` for checkpoints.

    ``lock``: the per-thread run lock (a running thread makes the erase fail with
    :class:`~userops.errors.Conflict` before the store changes).
    """

    def step(person: Person) -> dict[str, int]:
        scrubber = person.scrubber()
        rewritten = 0
        for tid in known_threads(engine):
            with lock(tid) if lock is not None else nullcontext():
                rewritten += int(scrub_thread(saver, tid, scrubber))
        return {"checkpoint_threads": rewritten}

    return step


def iter_values(saver: BaseCheckpointSaver[Any], thread_id: str) -> Iterator[Any]:
    """Every checkpoint's values and pending writes of ``thread_id`` (tests read them)."""
    for tup in saver.list({"configurable": {"thread_id": thread_id}}):
        yield tup.checkpoint.get("channel_values")
        yield tup.metadata
        yield [w[2] for w in tup.pending_writes or []]


def url_step(engine: Engine, url: str) -> Callable[[Person], dict[str, int]]:
    """:func:`checkpoint_step` on the checkpointer at ``url`` under the run locks of ``url``.

    The checkpointer is opened only when the store knows a thread.
    """
    from agents.runtime.checkpoint import open_checkpointer
    from agents.runtime.locks import thread_lock

    def step(person: Person) -> dict[str, int]:
        if not known_threads(engine):
            return {"checkpoint_threads": 0}
        with open_checkpointer(url) as saver:
            inner = checkpoint_step(engine, saver, lambda tid: thread_lock(tid, url))
            return inner(person)

    return step

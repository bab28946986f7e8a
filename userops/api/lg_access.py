"""Who may see and run a LangGraph thread: the rules of ``/v1`` over checkpoint and record.

A thread exists once it has a record (``threads.create``) or a checkpoint (a run). Its
owner is the checkpoint's (whoever sent its first message) or, before its first run, the
record's (whoever created it). Operators see and run only their own threads; approvers and
admins see all. Another's thread answers 404, like a missing one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from userops.accounts import AccountInfo
from userops.errors import NotFound
from userops.threads import records
from userops.threads.access import may_see, owner_of, sees_all
from userops.threads.records import ThreadRow


def snapshot(rt: Any, thread_id: str) -> Any:
    """The thread's latest state snapshot (empty values when it never ran)."""
    return rt.graph.get_state({"configurable": {"thread_id": thread_id}})


def owns(user: AccountInfo, snap: Any, row: ThreadRow | None) -> bool | None:
    """Whether ``user`` may see the thread; None when it does not exist."""
    values = snap.values or {}
    if values and owner_of(values) is not None:
        return may_see(user.name, user.role, values)
    if row is not None:  # not run yet, or read while its first step is being written
        return sees_all(user.role) or row.owner == user.name
    if values:
        return may_see(user.name, user.role, values)
    return None


def find(
    rt: Any, engine: Engine, user: AccountInfo, thread_id: str, *, missing_ok: bool = False
) -> tuple[Any, ThreadRow | None]:
    """The thread's snapshot and record if ``user`` may see it.

    ``missing_ok``: an approver or admin gets the empty state of a thread that does not
    exist (``threads.get_state`` before anything ran), as before threads had records.

    Raises:
        NotFound: no such thread, or another operator's.
    """
    snap = snapshot(rt, thread_id)
    row = records.get_thread(engine, thread_id)
    seen = owns(user, snap, row)
    if seen or (seen is None and missing_ok and sees_all(user.role)):
        return snap, row
    raise NotFound(f"no thread {thread_id!r}")


def check_may_run(rt: Any, engine: Engine, user: AccountInfo, thread_id: str) -> None:
    """Refuse (404) a run on another operator's thread; a new thread is anyone's."""
    if sees_all(user.role):
        return
    if owns(user, snapshot(rt, thread_id), records.get_thread(engine, thread_id)) is False:
        raise NotFound(f"no thread {thread_id!r}")

"""Which threads have a run pending or running, for real.

A run's record says ``pending`` or ``running`` until it ends; if the API process running it
stopped (killed, restarted), the record would say so forever. A recorded run counts only
while this process runs it or someone holds its thread's lock (every run holds it
throughout, :mod:`agents.runtime.locks`, across processes); a record older than
:data:`SETTLE_S` that neither holds is marked ``error``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from userops.api import lg_live
from userops.errors import ThreadBusy
from userops.threads import records

SETTLE_S = 30.0
"""A run record younger than this is believed without checking the lock (it may not have
taken it yet)."""
STOPPED = "the API process running it stopped before it ended"


def _held(rt: Any, thread_id: str) -> bool:
    from agents.runtime.locks import thread_lock

    try:
        with thread_lock(thread_id, rt.lock_url):
            return False
    except ThreadBusy:
        return True


def busy_threads(rt: Any, engine: Engine) -> set[str]:
    """The threads with a run pending or running; settles the records of stopped runs."""
    out: set[str] = set()
    young = datetime.now(UTC) - timedelta(seconds=SETTLE_S)
    for run in records.active_runs(engine):
        tid = run.thread_id
        if (
            tid in out
            or lg_live.get(run.run_id) is not None
            or datetime.fromisoformat(run.updated_at) > young
        ):
            out.add(tid)
        elif _held(rt, tid):
            out.add(tid)
        else:
            records.set_run_status(engine, run.run_id, "error", STOPPED)
    return out

"""Finish runs that a killed process or a failure left half done (the recovery sweep).

An approval is recorded before the thread goes on to dispatch; if the API or CLI process
dies after that (SIGKILL, OOM, a deploy), the checkpoint still names a next node (usually
``dispatch``, whose outbox chunks may be partly written) and nothing would resume it. The
same holds in the decision path: a run that stopped after the gate took the decision (at
``apply_decision``, the decision recorded or not yet) waits for nobody. The sweep finds the
threads of every open campaign (their latest approval), keeps those whose checkpoint has a
next node and no pending interrupt (for an approval not approved: stopped at
``apply_decision``, the decision path; a run that stopped while planning is run again by
the operator's next message), and runs each on from its
checkpoint under the per-thread lock (:mod:`agents.runtime.locks`): a thread whose lock is held is
running elsewhere and is skipped. Re-running is idempotent: ``apply_decision`` records the
decision the gate took exactly once (its id is in the checkpoint), and the engine skips
idempotency keys already in the outbox, so every recipient ends up there exactly once.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from agents.runtime.locks import thread_lock
from agents.runtime.threads import LoopRuntime
from userops.campaigns import open_approval_threads
from userops.errors import Conflict

log = logging.getLogger(__name__)

ACTOR = "recovery"

DECISION_NODE = "apply_decision"


@dataclass
class Recovery:
    """What the sweep did with one thread."""

    thread_id: str
    approval_id: str
    outcome: str
    """``resumed``, ``skipped`` (lock held: running elsewhere) or ``failed``."""
    pending: list[str] = field(default_factory=list)
    """The checkpoint's next nodes before the sweep touched the thread."""
    status: str | None = None
    """The thread's status after the resumed run."""
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


def candidates(rt: LoopRuntime) -> list[tuple[str, str, str]]:
    """Return ``(thread_id, latest approval_id, its status)`` of threads of open campaigns."""
    return open_approval_threads(rt.engine)


def _stalled(rt: LoopRuntime, thread_id: str, status: str) -> list[str]:
    """Return the checkpoint's next nodes if the run stopped short of the gate or the end.

    Unless the approval is approved, only a run stopped in the decision path counts.
    """
    snap = rt.graph.get_state({"configurable": {"thread_id": thread_id}})
    if snap.interrupts or not snap.next:
        return []
    pending = [str(n) for n in snap.next]
    if status != "approved" and pending != [DECISION_NODE]:
        return []
    return pending


def _resume(rt: LoopRuntime, thread_id: str, approval_id: str, status: str) -> Recovery | None:
    if not _stalled(rt, thread_id, status):
        return None
    try:
        with thread_lock(thread_id, rt.lock_url):
            pending = _stalled(rt, thread_id, status)  # again, under the lock
            if not pending:
                return None
            cfg: Any = {
                "configurable": {"thread_id": thread_id, "actor": ACTOR},
                "recursion_limit": 80,
            }
            for _chunk in rt.stream(None, cfg):  # the runtime's dependencies, as on any run
                pass
            status = rt.get(thread_id).status
    except Conflict:
        return Recovery(thread_id, approval_id, "skipped", error="lock held: running elsewhere")
    log.info("recovered thread %s (%s): %s -> %s", thread_id, approval_id, pending, status)
    return Recovery(thread_id, approval_id, "resumed", pending, status)


def recover(rt: LoopRuntime) -> list[Recovery]:
    """Resume every stalled thread of an open campaign once; return what was done with each.

    A thread that fails again is reported as ``failed`` (and logged) and the sweep goes on
    with the others; its checkpoint stays where it was, so a later sweep tries it again.
    """
    out: list[Recovery] = []
    for thread_id, approval_id, status in candidates(rt):
        try:
            rec = _resume(rt, thread_id, approval_id, status)
        except Exception as exc:  # one broken thread must not stop the others
            log.exception("recovery of thread %s failed", thread_id)
            rec = Recovery(thread_id, approval_id, "failed", error=f"{type(exc).__name__}: {exc}")
        if rec is not None:
            out.append(rec)
    return out

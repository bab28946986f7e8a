"""Test driver: approve a thread in a child process whose dispatch stalls after one chunk.

``python -m tests.recovery.driver STORE_DB CHECKPOINT_DB APPROVAL_ID`` decides the approval
as ``ana`` through the real runtime. The outbox is written by the real engine ``enqueue``
(chunks of :data:`CHUNK`, one transaction each); from the second chunk on, the write waits
:data:`STALL_S` seconds, so a parent that sees the first chunk committed can SIGKILL this
process in the middle of the dispatch node. Test-only: the stall is a double in this file.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from sqlalchemy import Engine

import userops.dispatch.engine as dispatch_engine
from agents.graph import make_graph
from agents.nodes.deps import LoopDeps
from agents.runtime.checkpoint import open_checkpointer
from agents.runtime.threads import LoopRuntime
from tests.agents.loop_doubles import make_deps
from userops.dispatch.models import DispatchStep
from userops.store.engine import make_engine

CHUNK = 5
STALL_S = 120.0


def enqueue_deliver(engine: Engine, steps: list[DispatchStep]) -> dict[str, Any]:
    """Deliver with the real engine: enqueue each step in chunks of :data:`CHUNK`."""
    sent = 0
    for step in steps:
        contents = {  # the tiny planner's bodies, made to pass the SMS content rules
            k: c.model_copy(update={"body": f"【userops】{c.body} Reply STOP to opt out"})
            for k, c in step.contents.items()
        }
        step = step.model_copy(update={"contents": contents})
        res = dispatch_engine.enqueue(engine, step, chunk=CHUNK)
        sent += res.inserted
    return {"sent": sent, "deferred": 0, "suppressed": {}, "cost": 0.0}


def real_deps(engine: Engine) -> LoopDeps:
    """The loop doubles of tests/agents with the real enqueue as delivery."""
    deps = make_deps(engine)
    deps.deliver = enqueue_deliver
    return deps


def _stall_after_first_chunk() -> None:
    original = dispatch_engine._write_rows
    calls = [0]

    def slow(conn: Any, prep: Any, rows: Any) -> None:
        calls[0] += 1
        if calls[0] > 1:
            time.sleep(STALL_S)
        original(conn, prep, rows)

    dispatch_engine._write_rows = slow  # type: ignore[assignment]


def main(store_db: str, cp_db: str, approval_id: str) -> None:
    """Decide ``approval_id`` (approve) with the stalling dispatch."""
    _stall_after_first_chunk()
    engine = make_engine(f"sqlite:///{store_db}")
    url = f"sqlite:///{cp_db}"
    with open_checkpointer(url) as saver:
        rt = LoopRuntime(
            make_graph(checkpointer=saver), deps=real_deps(engine), engine=engine, lock_url=url
        )
        print("deciding", flush=True)
        rt.decide(approval_id, {"type": "approve"}, actor="ana")
    print("finished", flush=True)  # never reached when the parent kills us


if __name__ == "__main__":
    main(*sys.argv[1:4])

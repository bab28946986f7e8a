"""Run the loop for people: start a thread with a goal, resume it with a decision, read it.

One run per thread at a time (:mod:`agents.runtime.locks`); decisions are checked before the graph
is touched (role, own edit, self-approval, already decided, a valid edited plan) so that callers
get a clear error and the thread stays waiting at the gate. A decision the store failed to
record is :class:`~userops.errors.NotRecorded`, and the thread waits for a decision again.
A thread's first message records its ``owner``; ``start(..., owner_only=True)`` answers
:class:`~userops.errors.NotFound` for someone else's thread (:mod:`userops.threads.access`).
Used by the CLI and the HTTP API.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.types import Command
from sqlalchemy import Engine

from agents.nodes.deps import LoopDeps
from agents.runtime.locks import thread_lock
from userops.approvals import records as approvals
from userops.approvals.rules import check_actor
from userops.errors import Conflict, NotFound, NotRecorded
from userops.settings import Settings, get_settings
from userops.threads.access import check_thread_id, owner_of

OnUpdate = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class Tap:
    """Extra LangGraph stream modes of a run and where their chunks go.

    ``on_chunk(mode, chunk)`` gets each chunk of ``modes`` (``values``, ``messages``...).
    """

    modes: tuple[str, ...]
    on_chunk: Callable[[str, Any], None]


@dataclass
class RunResult:
    """Where a thread stands after a run."""

    thread_id: str
    status: str
    """``awaiting_approval``, ``completed``, ``needs_clarification``, ``blocked``..."""
    values: dict[str, Any]
    """The graph state values."""
    interrupt: dict[str, Any] | None
    """The pending HITL request when the thread waits at the gate."""

    @property
    def approval_id(self) -> str | None:
        """The approval the thread waits on, if any."""
        return self.values.get("approval_id") if self.interrupt else None


class LoopRuntime:
    """Start, resume and read loop threads under the per-thread lock.

    Every run of the graph (a start, a resume, the recovery sweep's) gets ``deps`` as its
    LangGraph context.
    """

    def __init__(
        self,
        graph: Any,
        *,
        deps: LoopDeps,
        lock_url: str,
        engine: Engine | None = None,
    ) -> None:
        self.graph = graph
        self.deps = deps
        self.engine = engine or deps.engine
        self.lock_url = lock_url
        self.allow_self_approval = deps.allow_self_approval
        self.llm_calls: Callable[[], int] = deps.llm_calls

    def stream(
        self, payload: Any, config: RunnableConfig, tap: Tap | None = None
    ) -> Iterator[dict[str, Any]]:
        """Run the graph on ``payload`` with the runtime's dependencies; yield node updates.

        ``tap``: its modes' chunks go to ``tap.on_chunk`` as they come.
        """
        if tap is None:
            yield from self.graph.stream(payload, config, stream_mode="updates", context=self.deps)
            return
        modes = ["updates", *(m for m in tap.modes if m != "updates")]
        for mode, chunk in self.graph.stream(payload, config, stream_mode=modes, context=self.deps):
            if mode in tap.modes:
                tap.on_chunk(mode, chunk)
            if mode == "updates":
                yield chunk

    def _config(self, thread_id: str, actor: str) -> RunnableConfig:
        return {"configurable": {"thread_id": thread_id, "actor": actor}, "recursion_limit": 80}

    def get(self, thread_id: str) -> RunResult:
        """Return the thread's current state."""
        snap = self.graph.get_state({"configurable": {"thread_id": thread_id}})
        values = dict(snap.values or {})
        pending = [i.value for i in (snap.interrupts or ())]
        status = "awaiting_approval" if pending else str(values.get("status") or "new")
        return RunResult(thread_id, status, values, pending[0] if pending else None)

    def _run(
        self,
        thread_id: str,
        actor: str,
        payload: Any,
        on_update: OnUpdate | None,
        tap: Tap | None = None,
    ) -> None:
        cfg = self._config(thread_id, actor)
        for chunk in self.stream(payload, cfg, tap):
            if on_update is None:
                continue
            for node, update in chunk.items():
                if node != "__interrupt__":
                    on_update(node, dict(update or {}))

    def start(
        self,
        goal_text: str,
        *,
        thread_id: str | None = None,
        actor: str = "operator",
        on_update: OnUpdate | None = None,
        owner_only: bool = False,
        tap: Tap | None = None,
    ) -> RunResult:
        """Send the operator's message on a (new) thread and run until the gate or the end.

        ``owner_only``: the actor may only write on a new thread or one they started.

        Raises:
            BadInput: ``thread_id`` is not a valid thread id.
            NotFound: ``owner_only`` and the thread is someone else's.
            Conflict: the thread is running, or waits at the gate for a decision.
        """
        thread_id = check_thread_id(thread_id) if thread_id else f"t-{uuid.uuid4().hex[:12]}"
        with thread_lock(thread_id, self.lock_url):
            current = self.get(thread_id)
            owner = owner_of(current.values)
            if owner_only and owner is not None and owner != actor:
                raise NotFound(f"no thread {thread_id!r}")
            if current.interrupt is not None:
                raise Conflict(
                    f"thread {thread_id} waits for approval {current.values.get('approval_id')};"
                    " decide it first",
                    current=current.values.get("approval_id"),
                )
            msg = {"messages": [HumanMessage(content=goal_text)], "owner": owner or actor}
            self._run(thread_id, actor, msg, on_update, tap)
            return self.get(thread_id)

    def resume(
        self,
        thread_id: str,
        decision: dict[str, Any],
        *,
        actor: str,
        on_update: OnUpdate | None = None,
        approval_id: str | None = None,
        decision_id: str | None = None,
        tap: Tap | None = None,
    ) -> RunResult:
        """Resume a thread waiting at the gate with one HITL decision.

        ``approval_id``, when given, is the approval the caller decides: a thread waiting
        on another one is a conflict. ``decision_id`` is the caller's idempotency id of the
        decision (a fresh one by default).

        Raises:
            Conflict: the thread is running, not waiting, or the approval was already decided.
            PolicyRefused: the actor may not take this decision (role, own edit, self-approval).
            BadInput: the decision type is unknown, or the edited plan is invalid.
            NotRecorded: the store failed to record the decision; the thread waits again.
        """
        with thread_lock(thread_id, self.lock_url):
            current = self.get(thread_id)
            if current.interrupt is None:
                raise self._not_waiting(thread_id)
            waiting = str(current.values.get("approval_id"))
            if approval_id is not None and waiting != approval_id:
                raise Conflict(
                    f"thread {thread_id} waits for approval {waiting}, not {approval_id}"
                )
            approval_id = waiting
            rec = approvals.get(self.engine, approval_id)
            if rec.status != "pending":
                raise rec.already_decided()
            kind = str(decision.get("type", ""))
            check_actor(self.engine, rec, kind, actor, allow_self_approval=self.allow_self_approval)
            if kind == "edit":
                from agents.nodes.gate import edited_plan

                edited_plan(decision)
            resume = {
                "decisions": [decision],
                "actor": actor,
                "decision_id": decision_id or uuid.uuid4().hex,
            }
            self._run(thread_id, actor, Command(resume=resume), on_update, tap)
            after = self.get(thread_id)
            error = after.values.get("decision_error")
            if error and after.approval_id == approval_id:
                raise NotRecorded(
                    f"the decision on approval {approval_id} was not recorded ({error}); "
                    f"thread {thread_id} waits for a decision again"
                )
            return after

    def _not_waiting(self, thread_id: str) -> Conflict:
        snap = self.graph.get_state({"configurable": {"thread_id": thread_id}})
        if snap.next:
            stop = ", ".join(str(n) for n in snap.next)
            return Conflict(
                f"thread {thread_id} is not waiting for a decision: its last run stopped at "
                f"{stop}; `userops threads recover` runs it on"
            )
        return Conflict(f"thread {thread_id} is not waiting for a decision")

    def decide(
        self,
        approval_id: str,
        decision: dict[str, Any],
        *,
        actor: str,
        on_update: OnUpdate | None = None,
    ) -> RunResult:
        """Decide approval ``approval_id`` and resume its thread."""
        rec = approvals.get(self.engine, approval_id)
        if rec.status != "pending":
            raise rec.already_decided()
        if not rec.thread_id:
            raise Conflict(f"approval {approval_id} has no thread to resume")
        return self.resume(rec.thread_id, decision, actor=actor, on_update=on_update)


@contextmanager
def open_runtime(
    *,
    settings: Settings | None = None,
    engine: Engine | None = None,
    deps: LoopDeps | None = None,
    blast_share: float = 0.0,
    now_ts: int | None = None,
) -> Iterator[LoopRuntime]:
    """Open the store, the checkpointer and the graph; yield a runtime.

    ``deps``: the runs' dependencies (default: :func:`agents.nodes.wiring.default_deps` on
    the store, with ``blast_share`` and ``now_ts``, which fixes their clock for a
    reproducible run; None: real time).
    """
    from agents.graph import make_graph
    from agents.nodes.wiring import default_deps
    from agents.runtime.checkpoint import checkpoint_url, open_checkpointer

    s = settings or get_settings()
    if engine is None:
        from userops.store.engine import open_store

        engine = open_store(s.resolved_database_url())
    if deps is None:
        deps = default_deps(engine, settings=s, blast_share=blast_share, now_ts=now_ts)
    url = checkpoint_url(s)
    with open_checkpointer(url) as saver:
        yield LoopRuntime(make_graph(checkpointer=saver), deps=deps, engine=engine, lock_url=url)

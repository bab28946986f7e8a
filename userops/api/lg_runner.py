"""Run or resume the loop for the LangGraph routes: checks first, then the run, recorded.

:func:`prepare` does every check that can refuse a request (assistant, stream modes, the
resume's shape and the decider's role, the goal text, who may run the thread) before any
run record exists, so a refused request leaves none. :func:`perform` then runs it in the
calling thread, sending its SSE parts to a :class:`~userops.api.lg_live.Live` and moving
its record ``pending`` → ``running`` → ``success`` | ``error`` | ``interrupted``
(cancelled). A run that stops at the approval gate is a ``success``; its thread is
``interrupted``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agents.runtime.threads import Tap
from userops.accounts import AccountInfo
from userops.api.deps import Services
from userops.api.lg_access import check_may_run, find
from userops.api.lg_live import Cancelled, Live
from userops.api.lg_resume import resume_decision
from userops.api.lg_stream import Shaper, graph_modes, modes_of
from userops.api.lg_views import ASSISTANT_ID, GRAPH_ID
from userops.api.loop import decide, progress_event, thread_view
from userops.approvals.rules import check_role
from userops.errors import BadInput, Conflict, NotFound, PolicyRefused
from userops.text_limits import check_text
from userops.threads import records
from userops.threads.access import sees_all


class RunIn(BaseModel):
    """A run request as sent by ``langgraph-sdk``.

    Other fields are accepted and ignored, except the options :func:`check_options` refuses.
    """

    model_config = ConfigDict(extra="allow")
    assistant_id: str
    """The assistant (``userops`` or its id)."""
    input: dict[str, Any] | None = None
    """``{"messages": [{"role": "user", "content": goal}]}`` or ``{"goal": goal}``."""
    command: dict[str, Any] | None = None
    """``{"resume": ...}`` to decide the pending approval (:mod:`userops.api.lg_resume`)."""
    stream_mode: str | list[str] | None = Field(default=None)
    """Stream modes (:mod:`userops.api.lg_stream`); ``values`` by default."""
    metadata: dict[str, Any] | None = None
    """The run's metadata, kept on its record."""


UNSUPPORTED = (
    "after_seconds",
    "checkpoint",
    "checkpoint_id",
    "interrupt_before",
    "interrupt_after",
    "webhook",
)
"""Run options this server does not carry out: given a value, the run would be another one
than asked for (now, not later; from the latest checkpoint; without the pause or the call)."""
CHOICES = {"multitask_strategy": ("reject",), "if_not_exists": ("create", "reject")}
"""Run options with the values this server carries out."""


MAX_METADATA_CHARS = 16_000
"""Longest thread or run ``metadata``, as JSON text: it is untrusted text, kept and answered."""


def check_metadata(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` if its JSON text is at most :data:`MAX_METADATA_CHARS`, else a 422."""
    size = len(json.dumps(value, ensure_ascii=False, default=str))
    if size > MAX_METADATA_CHARS:
        reason = f"at most {MAX_METADATA_CHARS} characters as JSON, got {size}"
        raise BadInput.one(reason, field="metadata", value=None)
    return value


def check_options(body: RunIn) -> None:
    """Refuse (422, naming it) a run option this server would not carry out."""
    check_metadata(body.metadata or {})
    extra = body.model_extra or {}
    for name in UNSUPPORTED:
        if extra.get(name) not in (None, 0, "", [], {}):
            raise BadInput.one("not supported by this server", field=name, value=extra[name])
    for name, allowed in CHOICES.items():
        value = extra.get(name)
        if value is not None and value not in allowed:
            raise BadInput.one(f"must be {' or '.join(allowed)}", field=name, value=value)


def check_assistant(assistant_id: str) -> None:
    """Refuse (404) any assistant but the loop."""
    if assistant_id not in (ASSISTANT_ID, GRAPH_ID):
        raise NotFound(f"no assistant {assistant_id!r}")


def goal_text(data: dict[str, Any] | None) -> str:
    """The goal of a run (the limits of ``/v1``: :mod:`userops.text_limits`)."""
    data = data or {}
    if isinstance(data.get("goal"), str) and data["goal"].strip():
        return check_text(str(data["goal"]), "input.goal")
    messages = data.get("messages")
    if isinstance(messages, list) and messages:
        last = messages[-1]
        content = last.get("content") if isinstance(last, dict) else last
        if isinstance(content, str) and content.strip():
            where = f"input.messages.{len(messages) - 1}" + (
                ".content" if last is not content else ""
            )
            return check_text(content, where)
    raise BadInput.one("give input.messages (a user message) or input.goal", field="input")


@dataclass(frozen=True)
class Plan:
    """A checked run request: a start with ``goal`` or a resume with ``decision``."""

    thread_id: str
    user: AccountInfo
    modes: list[str]
    goal: str | None = None
    decision: dict[str, Any] | None = None


def prepare(
    rt: Any, services: Services, user: AccountInfo, thread_id: str, body: RunIn, default: Any
) -> Plan:
    """Check the request (nothing is recorded or run yet).

    ``default``: the stream modes when the request names none.
    """
    check_assistant(body.assistant_id)
    check_options(body)
    modes = modes_of(body.stream_mode, tuple(default))
    check_may_run(rt, services.engine, user, thread_id)
    if (body.model_extra or {}).get("if_not_exists") == "reject":
        find(rt, services.engine, user, thread_id)  # 404 unless it exists (and is theirs)
    if body.command and "resume" in body.command:
        decision = resume_decision(body.command["resume"])  # HITL or Agent Inbox shape
        check_role(user.role, str(decision["type"]))  # the rule of /v1 too
        if rt.get(thread_id).approval_id is None:
            raise Conflict(f"thread {thread_id} is not waiting for a decision")
        return Plan(thread_id, user, modes, decision=decision)
    if user.role not in ("operator", "admin"):
        raise PolicyRefused(f"role {user.role} may not start runs", reason="role")
    return Plan(thread_id, user, modes, goal=goal_text(body.input))


def new_run(services: Services, plan: Plan, body: RunIn, run_id: str) -> records.RunRow:
    """Record the run (``pending``); its thread's metadata gets the graph and assistant."""
    graph = {"graph_id": GRAPH_ID, "assistant_id": ASSISTANT_ID}
    thread = records.merge_metadata(services.engine, plan.thread_id, plan.user.name, graph)
    kwargs = {"input": body.input, "command": body.command, "stream_mode": plan.modes}
    meta = {**thread.metadata, **(body.metadata or {}), "created_by": plan.user.name}
    row = records.RunRow(
        run_id, plan.thread_id, ASSISTANT_ID, plan.user.name, "pending", meta, kwargs
    )
    return records.create_run(services.engine, row)


def perform(rt: Any, services: Services, plan: Plan, live: Live) -> None:
    """Run the plan; its parts go to ``live``; its record follows (the error is re-raised)."""
    engine, hub, tid = services.engine, services.hub, plan.thread_id
    records.set_run_status(engine, live.run_id, "running")
    shaper = Shaper(plan.modes)

    def on_chunk(mode: str, chunk: Any) -> None:
        for event, data in shaper.parts(mode, chunk):
            live.emit(event, data)
        live.check()

    def on_update(node: str, update: dict[str, Any]) -> None:
        hub.publish(tid, "progress", progress_event(node, update))
        live.check()

    tap = Tap(graph_modes(plan.modes), on_chunk)
    user = plan.user
    try:
        live.check()
        if plan.decision is not None:
            approval_id = rt.get(tid).approval_id
            if approval_id is None:
                raise Conflict(f"thread {tid} is not waiting for a decision")
            decide(rt, approval_id, plan.decision, actor=user.name, on_update=on_update, tap=tap)
        else:
            rt.start(
                str(plan.goal),
                thread_id=tid,
                actor=user.name,
                on_update=on_update,
                owner_only=not sees_all(user.role),
                tap=tap,
            )
    except Cancelled:
        records.set_run_status(engine, live.run_id, "interrupted")
        raise
    except Exception as exc:
        records.set_run_status(engine, live.run_id, "error", f"{type(exc).__name__}: {exc}")
        raise
    records.set_run_status(engine, live.run_id, "success")
    records.touch_thread(engine, tid, user.name)
    hub.publish(tid, "state", thread_view(rt.get(tid)))

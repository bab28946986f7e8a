"""`userops chat`: Chat with the planner (REPL)."""

from __future__ import annotations

from typing import Any

import typer

from userops.cli.approvals import AsOpt, actor_name
from userops.cli.common import console, err_console, store, user_errors

app = typer.Typer(help="Chat with the planner (REPL).")

HELP = (
    "type a goal; at an approval: 'approve', 'reject REASON', 'comment TEXT' or 'skip'; "
    "'/quit' to leave"
)


def _stream(node: str, update: dict[str, Any]) -> None:
    msgs = update.get("messages") or []
    for m in msgs:
        console.print(f"[{node}] {getattr(m, 'content', m)}", markup=False)
    if not msgs:
        console.print(f"[{node}]", markup=False)


def may_decide(engine: Any, approval_id: str, actor: str, allow_self: bool) -> bool:
    """Whether ``actor`` may approve ``approval_id`` (role, own edit, self-approval)."""
    from userops import approvals
    from userops.approval_rules import check_actor
    from userops.errors import PolicyRefused

    try:
        rec = approvals.get(engine, approval_id)
        check_actor(engine, rec, "approve", actor, allow_self_approval=allow_self)
    except PolicyRefused:
        return False
    return True


def _parse_decision(line: str) -> dict[str, Any] | None:
    word, _, rest = line.strip().partition(" ")
    if word == "approve":
        return {"type": "approve", **({"message": rest} if rest else {})}
    if word == "reject":
        return {"type": "reject", "message": rest or "rejected in chat"}
    if word == "comment":
        return {"type": "respond", "message": rest}
    return None


def _refused(text: str, what: str) -> bool:
    """Say why ``text`` is refused (too long, NUL; :mod:`userops.text_limits`), if it is."""
    from userops.text_limits import text_problem

    problem = text_problem(text)
    if problem is not None:
        err_console.print(f"{what}: {problem}", markup=False)
    return problem is not None


def _read(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None


def _gate(rt: Any, res: Any, actor: str) -> Any:
    """Show the card; decide inline when the actor may, else say who must."""
    from userops.cli.loop_view import print_card

    while res.interrupt is not None:
        print_card(console, res.interrupt["action_requests"][0]["args"])
        if not may_decide(rt.engine, res.approval_id, actor, rt.allow_self_approval):
            console.print(
                f"waiting for an approver: userops approvals approve {res.approval_id}",
                markup=False,
            )
            return res
        line = _read("decision> ")
        decision = _parse_decision(line or "")
        if decision is None:
            return res
        if _refused(decision.get("message", ""), "message"):
            continue
        with user_errors():
            res = rt.resume(res.thread_id, decision, actor=actor, on_update=_stream)
    return res


@app.command("chat")
def chat(
    thread: str = typer.Option(None, "--thread", help="Continue this thread."),
    as_: str = AsOpt,
) -> None:
    """Chat with the planner; progress is streamed; approve inline when you may."""
    from agents.runtime import open_runtime

    actor = actor_name(as_)
    err_console.print(HELP)
    with user_errors():
        engine = store()
        with open_runtime(engine=engine) as rt:
            res = rt.get(thread) if thread else None
            if res is not None:
                res = _gate(rt, res, actor)
            tid = thread
            while True:
                line = _read("> ")
                if line is None or line.strip() in ("/quit", "/exit"):
                    break
                if not line.strip() or _refused(line, "goal"):
                    continue
                with user_errors():
                    res = rt.start(line, thread_id=tid, actor=actor, on_update=_stream)
                tid = res.thread_id
                res = _gate(rt, res, actor)
                if res.status not in ("awaiting_approval", "needs_clarification"):
                    console.print(f"thread {tid}: {res.status}", markup=False)

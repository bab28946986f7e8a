"""`userops chat`: Chat with the planner (REPL)."""

from __future__ import annotations

from typing import Any

import typer

from userops.cli.approvals import AsOpt, actor_name
from userops.cli.chat_words import DECISION_HELP, parse_decision, who_may_decide
from userops.cli.common import console, err_console, store, user_errors

app = typer.Typer(help="Chat with the planner (REPL).")

HELP = (
    "type a goal; at an approval: approve, reject REASON, comment TEXT or skip (批准, 驳回 原因, "
    "留言 内容, 跳过); Enter or /status shows where the thread stands; /new starts another "
    "goal; /quit to leave"
)


def _stream(node: str, update: dict[str, Any]) -> None:
    msgs = update.get("messages") or []
    for m in msgs:
        console.print(f"[{node}] {getattr(m, 'content', m)}", markup=False)
    if not msgs:
        console.print(f"[{node}]", markup=False)


def may_decide(engine: Any, approval_id: str, actor: str, allow_self: bool) -> bool:
    """Whether ``actor`` may approve ``approval_id`` (role, own edit, self-approval)."""
    return who_may_decide(engine, approval_id, actor, allow_self) is None


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


def _error(exc: Exception) -> None:
    """Print a refused step (the prompt comes back; nothing is left half done)."""
    from userops.errors import BadInput

    line = exc.render() if isinstance(exc, BadInput) else f"error: {exc}"
    err_console.print(line, markup=False, highlight=False, soft_wrap=True)


class Session:
    """One chat: the thread it follows and what the person at the keyboard may do there."""

    def __init__(self, rt: Any, actor: str, thread: str | None) -> None:
        self.rt, self.actor, self.tid = rt, actor, thread
        self.res: Any = None

    @property
    def waiting(self) -> bool:
        """Whether the thread waits at an approval gate."""
        return self.res is not None and self.res.interrupt is not None

    def prompt(self) -> str:
        """``decision>`` at a gate the actor may decide, else ``>``."""
        return "decision> " if self.waiting and self._may() else "> "

    def _may(self) -> bool:
        return may_decide(self.rt.engine, self.res.approval_id, self.actor, self._self_ok())

    def _self_ok(self) -> bool:
        return bool(self.rt.allow_self_approval)

    def _run(self, fn: Any, *args: Any, **kw: Any) -> bool:
        """Run one runtime call; a refusal is printed and the chat goes on."""
        from userops.errors import UseropsError

        try:
            self.res = fn(*args, **kw)
        except UseropsError as exc:
            _error(exc)
            self.follow(quiet=True)
            return False
        self.tid = self.res.thread_id
        return True

    def follow(self, quiet: bool = False) -> None:
        """Read the thread again and show where it stands (the card when it waits)."""
        if not self.tid:
            return
        before = self.res.approval_id if self.res is not None else None
        self.res = self.rt.get(self.tid)
        if not (quiet and self.res.approval_id == before):
            self.show()

    def show(self) -> None:
        """Print the card and who may decide it, or the thread's status."""
        from userops.cli.loop_view import print_card

        res = self.res
        if res.interrupt is None:
            if res.status not in ("needs_clarification",):
                console.print(f"thread {res.thread_id}: {res.status}", markup=False)
            return
        print_card(console, res.interrupt["action_requests"][0]["args"])
        barred = who_may_decide(self.rt.engine, res.approval_id, self.actor, self._self_ok())
        if barred is None:
            console.print(f"decide: {DECISION_HELP}", markup=False)
            return
        console.print(f"waiting for an approver: {barred}", markup=False)
        console.print(
            "(press Enter to see whether it moved on; /new starts another goal)", markup=False
        )

    def handle(self, line: str) -> None:
        """One line from the person: a decision at a gate, else a goal or an answer."""
        if line == "/new":
            self.tid, self.res = None, None
            console.print("the next goal starts a new thread", markup=False)
            return
        if self.tid and (not line or line == "/status"):
            self.follow()
            return
        if not line or _refused(line, "goal"):
            return
        if self.waiting:
            self._at_gate(line)
            return
        if self._run(self.rt.start, line, thread_id=self.tid, actor=self.actor, on_update=_stream):
            self.show()

    def _at_gate(self, line: str) -> None:
        approval_id = self.res.approval_id
        decision = parse_decision(line)
        if decision is None:
            console.print(
                f"thread {self.tid} waits for approval {approval_id}: {DECISION_HELP}; "
                "/new starts another goal",
                markup=False,
            )
            return
        if decision["type"] == "skip":
            console.print(
                f"approval {approval_id} stays pending (userops approvals show {approval_id})",
                markup=False,
            )
            return
        if _refused(decision.get("message", ""), "message"):
            return
        ok = self._run(
            self.rt.resume,
            self.tid,
            decision,
            actor=self.actor,
            on_update=_stream,
            approval_id=approval_id,
        )
        if ok:
            self.show()
        elif decision["type"] == "approve":
            barred = who_may_decide(self.rt.engine, approval_id, self.actor, self._self_ok())
            if barred:
                console.print(barred, markup=False)


@app.command("chat")
def chat(
    thread: str = typer.Option(None, "--thread", help="Continue this thread."),
    as_: str = AsOpt,
) -> None:
    """Chat with the planner; progress is streamed; approve inline when you may.

    A refused step (a decision you may not take, a busy thread) is printed and the prompt
    comes back; at an approval, decision words are read in English or Chinese.
    """
    from agents.runtime.threads import open_runtime

    actor = actor_name(as_)
    err_console.print(HELP)
    with user_errors():
        engine = store()
        with open_runtime(engine=engine) as rt:
            session = Session(rt, actor, thread)
            if thread:
                session.follow()
            while True:
                line = _read(session.prompt())
                if line is None or line.strip() in ("/quit", "/exit"):
                    break
                session.handle(line.strip())

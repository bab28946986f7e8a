"""Drive a LangGraph server with ``langgraph-sdk`` through the calls real clients make and
record the *shapes* of its answers (keys and JSON types, not values), so that userops'
answers can be compared with the official server's for the same graph.

Record the official server's answers (a scratch venv with ``langgraph-cli[inmem]``, see
docs/api.md, "Checked against the official server")::

    python -m tests.api.lg_shapes http://127.0.0.1:2025 \
        tests/api/fixtures/lg_official/shapes.json OPERATOR_TOKEN APPROVER_TOKEN

(``langgraph.json``'s auth takes userops tokens: ``userops users add NAME --role R``.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient

GOAL: Any = {"messages": [{"role": "user", "content": "win back lapsed buyers with sms"}]}
MODES: Any = ["values", "updates", "messages-tuple", "messages", "custom", "debug", "events"]
APPROVE: Any = {"resume": {"decisions": [{"type": "approve"}]}}


def shape(value: Any, depth: int = 3) -> Any:
    """The JSON shape of ``value``: dicts by key (to ``depth``), lists by their first item."""
    if isinstance(value, dict):
        if depth == 0:
            return "object"
        return {k: shape(v, depth - 1) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0], depth - 1)] if value and depth else "array"
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string"}[type(value)]


def _events(parts: Any) -> dict[str, Any]:
    """A stream's event names in order of first appearance, and each one's first data."""
    seen: dict[str, Any] = {}
    for part in parts:
        if part.event not in seen:
            seen[part.event] = shape(part.data, 2)
    return {"order": list(seen), "first": seen}


def _code(call: Any) -> int:
    try:
        call()
    except httpx.HTTPStatusError as err:
        return err.response.status_code
    return 200


def drive(op: SyncLangGraphClient, approver: SyncLangGraphClient) -> dict[str, Any]:
    """Make the calls; return each answer's shape by call name."""
    out: dict[str, Any] = {}
    made = op.threads.create(metadata={"team": "growth"})
    tid = made["thread_id"]
    out["threads.create"] = shape(made)
    out["threads.get(before run)"] = shape(op.threads.get(tid))
    out["threads.update"] = shape(op.threads.update(tid, metadata={"stage": "draft"}))
    out["runs.stream"] = _events(op.runs.stream(tid, "userops", input=GOAL, stream_mode=MODES))
    out["threads.get(interrupted)"] = shape(op.threads.get(tid))
    out["threads.get_state"] = shape(op.threads.get_state(tid))
    found = op.threads.search(status="interrupted", metadata={"team": "growth"}, limit=5)
    out["threads.search"] = shape(found[:1])
    out["threads.count"] = shape(op.threads.count(status="interrupted"))
    out["threads.get_history"] = shape(op.threads.get_history(tid, limit=2))
    run = approver.runs.create(tid, "userops", command=APPROVE)
    out["runs.create"] = shape(run)
    out["runs.join"] = shape(approver.runs.join(tid, run["run_id"]), 1)
    out["runs.get"] = shape(approver.runs.get(tid, run["run_id"]))
    out["runs.get.status"] = approver.runs.get(tid, run["run_id"])["status"]
    out["runs.list"] = shape(approver.runs.list(tid)[:1])
    out["threads.get(after approve)"] = shape(op.threads.get(tid), 1)
    other = op.threads.create()["thread_id"]
    op.runs.wait(other, "userops", input=GOAL)
    resolved = approver.threads.update_state(other, None, as_node="__end__")
    out["threads.update_state(__end__)"] = shape(resolved)
    out["threads.get(resolved).status"] = op.threads.get(other)["status"]
    out["threads.copy"] = shape(op.threads.copy(tid), 1)  # type: ignore[func-returns-value]
    out["threads.delete"] = _code(lambda: op.threads.delete(other))
    return out


def main(url: str, path: str, op_token: str, approver_token: str) -> None:
    """Record the server at ``url`` into ``path``, as an operator and an approver."""
    op, approver = (
        get_sync_client(url=url, api_key=None, headers={"Authorization": f"Bearer {t}"})
        for t in (op_token, approver_token)
    )
    got = drive(op, approver)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:5])

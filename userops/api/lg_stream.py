"""A run's LangGraph stream modes as the server's SSE parts.

``values`` (the state after every step, the input first), ``updates`` (each node's update;
``__interrupt__`` when the gate asks), ``messages`` (``messages/metadata`` once per message,
then ``messages/complete``, or ``messages/partial`` for a chunk), ``messages-tuple``
(``messages``: ``[message, metadata]``; asked with ``messages``, it alone is sent, as
the official server does), ``custom``, ``debug``, ``tasks``, ``checkpoints``
and ``events`` (``on_chain_start`` / ``on_chain_end`` per node, from the debug stream: the
loop's nodes call no chat model, so there are no token events). Anything else is a 422
naming ``stream_mode``.
"""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.messages import BaseMessageChunk

from userops.api.loop import jsonable
from userops.errors import BadInput

GRAPH_MODE = {
    "values": "values",
    "updates": "updates",
    "messages": "messages",
    "messages-tuple": "messages",
    "custom": "custom",
    "debug": "debug",
    "tasks": "debug",
    "checkpoints": "debug",
    "events": "debug",
}
"""Each stream mode a client may ask for and the LangGraph stream mode it comes from."""
Part = tuple[str, Any]


def modes_of(stream_mode: Any, default: tuple[str, ...] = ("values",)) -> list[str]:
    """The requested stream modes (``default`` when none).

    Raises:
        BadInput: an unknown or unsupported mode, naming ``stream_mode``.
    """
    modes = [stream_mode] if isinstance(stream_mode, str) else stream_mode
    if not modes:
        return list(default)
    if not isinstance(modes, list):
        raise BadInput.one("must be a stream mode or a list of them", field="stream_mode")
    for i, mode in enumerate(modes):
        if mode not in GRAPH_MODE:
            raise BadInput.one(
                f"must be one of {', '.join(GRAPH_MODE)}", field=f"stream_mode.{i}", value=str(mode)
            )
    return list(dict.fromkeys(modes))


def graph_modes(modes: list[str]) -> tuple[str, ...]:
    """The LangGraph stream modes that feed ``modes``."""
    return tuple(dict.fromkeys(GRAPH_MODE[m] for m in modes))


def _event(kind: str, chunk: dict[str, Any]) -> dict[str, Any]:
    payload = chunk["payload"]
    start = chunk["type"] == "task"
    data = {"input": jsonable(payload.get("input"))} if start else {"output": payload["result"]}
    return {
        "event": "on_chain_start" if start else "on_chain_end",
        "name": payload["name"],
        "run_id": payload["id"],
        "tags": [f"graph:step:{chunk['step']}"],
        "metadata": {"langgraph_node": payload["name"], "langgraph_step": chunk["step"]},
        "data": jsonable(data),
        "parent_ids": [],
    }


class Shaper:
    """Turns LangGraph stream chunks into the SSE parts of the requested modes."""

    def __init__(self, modes: list[str]) -> None:
        self.modes = modes
        self._seen: set[str] = set()

    def parts(self, mode: str, chunk: Any) -> list[Part]:
        """The SSE parts (event, data) for one chunk of LangGraph stream ``mode``."""
        want = self.modes
        if mode in ("values", "updates", "custom"):
            return [(mode, jsonable(chunk))] if mode in want else []
        if mode == "messages":
            return self._messages(*chunk)
        if mode != "debug":
            return []
        out: list[Part] = []
        if "debug" in want:
            out.append(("debug", jsonable(chunk)))
        is_task = chunk["type"] in ("task", "task_result")
        if "tasks" in want and is_task:
            out.append(("tasks", jsonable(chunk["payload"])))
        if "checkpoints" in want and chunk["type"] == "checkpoint":
            out.append(("checkpoints", jsonable(chunk["payload"])))
        if "events" in want and is_task:
            out.append(("events", _event(chunk["type"], chunk)))
        return out

    def _messages(self, message: Any, metadata: Any) -> list[Part]:
        data, meta = jsonable(message), jsonable(metadata)
        if isinstance(data, dict) and not data.get("id"):
            data["id"] = f"run-{uuid.uuid4()}"
        out: list[Part] = []
        if "messages-tuple" in self.modes:
            out.append(("messages", [data, meta]))
        if "messages" in self.modes and "messages-tuple" not in self.modes:  # as the server
            mid = str(data.get("id")) if isinstance(data, dict) else ""
            if mid not in self._seen:
                self._seen.add(mid)
                out.append(("messages/metadata", {mid: {"metadata": meta}}))
            partial = isinstance(message, BaseMessageChunk)
            out.append(("messages/partial" if partial else "messages/complete", [data]))
        return out

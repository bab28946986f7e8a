"""userops' LangGraph answers have the shapes of the official server's for the same graph.

The official answers were recorded from ``langgraph dev`` (langgraph-api 0.16.7, in-memory
runtime, in a scratch venv: its pins do not fit constraints.txt) running ``langgraph.json``'s
graph and auth, without ``--allow-blocking``, with :mod:`tests.api.lg_shapes`
(``fixtures/lg_official/shapes.json``). The same calls drive ``userops serve``; every key
the official answer has must be in userops' (top level of each answer, of each stream
event's first data), and each stream mode must send the same events. The differences that
remain are listed here, each with its reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from langgraph_sdk import get_sync_client

from tests.api.lg_shapes import drive

OFFICIAL = json.loads((Path(__file__).parent / "fixtures/lg_official/shapes.json").read_text())
DIFFERS = {
    "runs.create": {"langsmith_session_name"},  # no LangSmith
    "runs.get": {"langsmith_session_name"},
    "runs.list": {"langsmith_session_name"},
    "threads.copy": {"state_updated_at"},
}
"""Keys of an official answer userops leaves out, and why."""
NOT_COMPARED: dict[str, str] = {}
"""Calls whose answers are not compared, and why (none since the official server approves
without blocking calls: recorded with langgraph.json's auth, userops tokens)."""


def _keys(shape: Any) -> set[str]:
    item = shape[0] if isinstance(shape, list) and shape else shape
    return set(item) if isinstance(item, dict) else set()


def test_answers_have_the_official_shapes(site: tuple[str, dict[str, str]]) -> None:
    url, tokens = site
    op, approver = (
        get_sync_client(url=url, api_key=None, headers={"Authorization": f"Bearer {tokens[n]}"})
        for n in ("olivia", "ana")
    )
    ours = drive(op, approver)
    assert set(ours) == set(OFFICIAL)
    wrong: dict[str, Any] = {}
    for call, official in OFFICIAL.items():
        if call in NOT_COMPARED or call == "runs.stream":
            continue
        if not isinstance(official, dict | list):
            if ours[call] != official:  # a status or a status code
                wrong[call] = (official, ours[call])
            continue
        missing = _keys(official) - _keys(ours[call]) - DIFFERS.get(call, set())
        if missing:
            wrong[call] = missing
    assert not wrong

    stream, theirs = ours["runs.stream"], OFFICIAL["runs.stream"]
    assert set(stream["order"]) == set(theirs["order"])
    assert stream["order"][0] == "metadata"
    for event, first in theirs["first"].items():
        missing = _keys(first) - _keys(stream["first"][event])
        assert not missing, (event, missing)

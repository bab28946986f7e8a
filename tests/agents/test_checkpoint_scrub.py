"""Erase scrubs the person out of every checkpoint of a thread, which stays resumable."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import Command, interrupt
from sqlalchemy import Engine

from agents.runtime.checkpoint import open_checkpointer
from agents.runtime.checkpoint_scrub import checkpoint_step, iter_values
from tests.cdp.dsr_support import BIG, BYSTANDER, NAME, OTHER, SUMMARY, seed_person
from userops.cdp.dsr.person import load_person


class State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    card: dict[str, Any]
    decision: str


def _card(_: State) -> dict[str, Any]:
    previews = [
        {"sample_user": {"user_id": BIG, "name": NAME}, "body": f"Hi {NAME}"},
        {"sample_user": {"user_id": OTHER, "name": BYSTANDER}, "body": f"Hi {BYSTANDER}"},
    ]
    found = AIMessage(content=f'[{{"user_id": {BIG}, "summary": "{SUMMARY}"}}]')
    return {"card": {"previews": previews}, "messages": [found]}


def _gate(state: State) -> dict[str, Any]:
    return {"decision": interrupt({"card": state["card"]})}


def _graph(saver: Any) -> Any:
    g = StateGraph(State)
    g.add_node("card", _card)
    g.add_node("gate", _gate)
    g.add_edge(START, "card")
    g.add_edge("card", "gate")
    g.add_edge("gate", END)
    return g.compile(checkpointer=saver)


@pytest.fixture(params=["sqlite", "postgresql"])
def saver_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'checkpoints.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_every_checkpoint_is_scrubbed_and_the_thread_resumes(
    sqlite_engine: Engine, saver_url: str
) -> None:
    seed_person(sqlite_engine)  # its campaign runs on thread t-dsr
    cfg = {"configurable": {"thread_id": "t-dsr"}}
    with open_checkpointer(saver_url) as saver:
        graph = _graph(saver)
        graph.invoke({"messages": [HumanMessage("go")]}, cfg)
        before = len(list(saver.list(cfg)))
        text = repr(list(iter_values(saver, "t-dsr")))
        assert NAME in text and SUMMARY in text and str(BIG) in text
        with sqlite_engine.connect() as conn:
            person = load_person(conn, BIG)
        step = checkpoint_step(sqlite_engine, saver)
        assert step(person) == {"checkpoint_threads": 1}
        text = repr(list(iter_values(saver, "t-dsr")))
        assert NAME not in text and SUMMARY not in text and str(BIG) not in text
        assert BYSTANDER in text and len(list(saver.list(cfg))) == before
        snap = graph.get_state(cfg)
        assert snap.next == ("gate",)
        card = snap.interrupts[0].value["card"]
        assert card["previews"][0]["sample_user"] == {"user_id": 0, "name": "[erased]"}
        assert step(person) == {"checkpoint_threads": 0}
        done = graph.invoke(Command(resume="approve"), cfg)
        assert done["decision"] == "approve"
        assert done["card"]["previews"][1]["sample_user"]["name"] == BYSTANDER

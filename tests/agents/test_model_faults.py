"""Model faults through the real loop: runtime, graph, LLM planner and judge over real HTTP.

The chat model is ``ChatOpenAI`` pointed at :class:`tests.fakes.openai_chat.FakeOpenAIChat`.
A passing fault is retried by the openai SDK (the only retry layer) or, for a malformed /
truncated / empty answer, sent back to the model as an error; a lasting one fails with
:class:`ModelUnavailable`, leaves no approval and no outbox row, and a later run on the
same thread succeeds once the server is back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from agents.runtime.threads import LoopRuntime, open_runtime
from tests.doubles import populate
from tests.fakes.openai_chat import FakeOpenAIChat
from userops.errors import ModelUnavailable
from userops.llm import SDK_RETRIES
from userops.settings import Settings

GOAL = "召回最近60天没下单的高价值用户，只发邮件"


@pytest.fixture
def fake() -> Iterator[FakeOpenAIChat]:
    server = FakeOpenAIChat()
    server.retry_after = 0
    server.slow_seconds = 1.5
    server.start()
    yield server
    server.stop()


@pytest.fixture
def runtime(sqlite_engine: Engine, home: Path, fake: FakeOpenAIChat) -> Iterator[LoopRuntime]:
    populate(sqlite_engine, 60)
    s = fake.settings(home)
    with open_runtime(settings=s, engine=sqlite_engine) as rt:
        yield rt


def counts(engine: Engine) -> tuple[int, int]:
    """Approvals and outbox rows in the store."""
    with engine.connect() as conn:
        approvals = conn.execute(text("SELECT count(*) FROM approvals")).scalar_one()
        outbox = conn.execute(text("SELECT count(*) FROM outbox")).scalar_one()
    return int(approvals), int(outbox)


def wire(fake: FakeOpenAIChat, i: int) -> str:
    """The messages of request ``i`` as sent."""
    return json.dumps(fake.requests[i]["body"]["messages"], ensure_ascii=False)


@pytest.mark.parametrize(
    ("faults", "requests_added"),
    [
        (["429", "429"], 2),  # the SDK retries (Retry-After honoured), nothing else does
        (["500", "500"], 2),
        (["slow"], 1),
    ],
)
def test_passing_transport_fault_is_retried_by_the_sdk_only(
    runtime: LoopRuntime,
    sqlite_engine: Engine,
    fake: FakeOpenAIChat,
    faults: list[str],
    requests_added: int,
) -> None:
    fake.faults.next.extend(faults)
    res = runtime.start(GOAL)
    assert res.status == "awaiting_approval"
    assert fake.modes[faults[0]] == len(faults)
    # same conversation re-sent by the SDK: the first answered request repeats the faulted one
    assert fake.requests[0]["body"] == fake.requests[requests_added]["body"]
    assert counts(sqlite_engine) == (1, 0)


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (["bad_args"], "are not valid JSON"),  # tool loop: a tool call that is not JSON
        (["ok", "truncated"], "the plan could not be read"),  # plan cut at the token limit
        (["ok", "empty"], "the plan could not be read"),  # empty answer to the plan request
        (["ok", "bad_args"], "the plan could not be read"),
    ],
)
def test_malformed_answer_goes_back_to_the_model(
    runtime: LoopRuntime, sqlite_engine: Engine, fake: FakeOpenAIChat, faults: list[str], error: str
) -> None:
    fake.faults.next.extend(faults)
    res = runtime.start(GOAL)
    assert res.status == "awaiting_approval"
    bad = len(faults) - 1
    assert error not in wire(fake, bad) and error in wire(fake, bad + 1)
    assert "model plan unreadable" not in json.dumps(res.values["plan"], ensure_ascii=False)
    assert counts(sqlite_engine) == (1, 0)


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("429", "HTTP 429"),
        ("500", "HTTP 500"),
        ("slow", "timed out"),
        ("cut_body", "unreadable response"),
    ],
)
def test_lasting_fault_fails_cleanly_and_the_thread_runs_again(
    runtime: LoopRuntime, sqlite_engine: Engine, fake: FakeOpenAIChat, mode: str, message: str
) -> None:
    fake.faults.down = mode
    with pytest.raises(ModelUnavailable) as err:
        runtime.start(GOAL, thread_id="t-fault")
    assert message in str(err.value) and "run it again" in str(err.value)
    sdk_tries = 1 if mode == "cut_body" else SDK_RETRIES + 1  # an unreadable body is not retried
    assert len(fake.requests) == sdk_tries
    assert counts(sqlite_engine) == (0, 0)  # no approval, nothing queued from a half-made plan
    assert runtime.get("t-fault").values.get("plan") is None

    fake.faults.down = None  # the model endpoint is back
    res = runtime.start(GOAL, thread_id="t-fault")
    assert res.status == "awaiting_approval" and res.values["plan"]
    assert counts(sqlite_engine) == (1, 0)


def test_unreadable_judge_twice_fails_cleanly(
    runtime: LoopRuntime, sqlite_engine: Engine, fake: FakeOpenAIChat
) -> None:
    plain = runtime.start(GOAL)  # learn how many requests a clean run takes
    n = len(fake.requests)
    assert plain.status == "awaiting_approval"
    fake.faults.next.extend(["ok"] * (n - 1) + ["empty", "truncated"])  # the judge's two tries
    with pytest.raises(ModelUnavailable, match="judge gave no readable scores"):
        runtime.start(GOAL, thread_id="t-judge")
    assert counts(sqlite_engine) == (1, 0)  # only the first thread's approval
    res: Any = runtime.start(GOAL, thread_id="t-judge")
    assert res.status == "awaiting_approval"
    assert counts(sqlite_engine) == (2, 0)


def test_the_sdk_waits_for_retry_after(fake: FakeOpenAIChat) -> None:
    import time

    from langchain_core.messages import HumanMessage

    from agents.planning.draft import PlanDraft
    from userops.llm import chat_model, invoke_model, structured

    fake.retry_after = 1
    fake.faults.next.append("429")
    s = Settings(llm_model="m", llm_base_url=f"{fake.url}/v1", llm_api_key="k")
    model = chat_model(s, timeout=5)
    assert model is not None
    t0 = time.monotonic()
    draft = invoke_model(structured(model, PlanDraft), [HumanMessage("plan")], what="plan")
    assert isinstance(draft, PlanDraft) and len(fake.requests) == 2
    assert time.monotonic() - t0 >= 1.0  # the server's Retry-After, not the SDK's 0.5 s default

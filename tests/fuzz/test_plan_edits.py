"""Approver plan-edit fuzzing: a random edit is refused with a clear error or re-evaluated.

Through the real runtime and graph (offline test planner, scripted evaluator that records
what it saw): an edit payload — the shown plan with one random mutation, a plan with a
random budget / holdout / name, or any JSON — never raises anything but a userops error and
never queues a message. An accepted edit is evaluated before anyone sees it again; a
refused one leaves the approval pending with the reason recorded. Approving afterwards
sends only a plan the evaluator saw and the approver was shown.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from agents.graph import make_graph
from agents.runtime.checkpoint import open_checkpointer
from agents.runtime.threads import LoopRuntime
from tests.agents.loop_doubles import ScriptedEvaluator, make_deps, seed_users
from tests.fuzz.strategies import FUZZ, JSON, mutate
from userops.approvals import records as approvals
from userops.errors import UseropsError

THREADS = itertools.count()
NUMBER = st.integers(-10, 10**7) | st.floats(allow_nan=True, allow_infinity=True)


@pytest.fixture(scope="module")
def loop(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LoopRuntime, ScriptedEvaluator]]:
    from userops.store.engine import make_engine, upgrade

    d: Path = tmp_path_factory.mktemp("edits")
    engine = make_engine(f"sqlite:///{d / 'store.db'}")
    upgrade(engine)
    seed_users(engine, 20)
    evaluator = ScriptedEvaluator()
    url = f"sqlite:///{d / 'cp.db'}"
    with open_checkpointer(url) as saver:
        graph = make_graph(checkpointer=saver)
        yield (
            LoopRuntime(
                graph, deps=make_deps(engine, evaluator=evaluator), engine=engine, lock_url=url
            ),
            evaluator,
        )
    engine.dispose()


def sent(engine: Engine, campaign_id: str) -> int:
    with engine.connect() as conn:
        q = text("SELECT count(*) FROM outbox WHERE campaign_id = :c")
        return int(conn.execute(q, {"c": campaign_id}).scalar_one())


def _payload(data: st.DataObject, plan: dict[str, Any]) -> Any:
    kind = data.draw(st.sampled_from(["mutated", "field", "json", "args"]))
    if kind == "mutated":
        return {"name": "edit", "args": {"plan": mutate(data, plan)}}
    if kind == "field":
        key = data.draw(st.sampled_from(["budget", "name", "rationale"]))
        value = data.draw(NUMBER if key == "budget" else st.text(max_size=20) | JSON)
        return {"name": "edit", "args": {"plan": {**plan, key: value}}}
    if kind == "args":
        return {"name": "edit", "args": data.draw(JSON)}
    return data.draw(JSON)


@settings(FUZZ, max_examples=max(15, FUZZ.max_examples // 3))
@given(data=st.data())
def test_random_edit_is_refused_or_re_evaluated_never_sent_unevaluated(
    loop: tuple[LoopRuntime, ScriptedEvaluator], data: st.DataObject
) -> None:
    rt, evaluator = loop
    thread = f"edit-{next(THREADS)}"
    res = rt.start("win back", thread_id=thread, actor="olivia")
    assert res.status == "awaiting_approval"
    campaign, first = str(res.values["campaign_id"]), str(res.approval_id)
    shown = res.interrupt["action_requests"][0]["args"]["plan"]  # type: ignore[index]
    decision = {"type": "edit", "edited_action": _payload(data, shown), "message": "fuzz"}
    try:
        res = rt.resume(thread, decision, actor="ana")
    except UseropsError:
        res = rt.get(thread)  # a clear, typed refusal: the thread still waits at the gate
    assert sent(rt.engine, campaign) == 0  # an edit never sends
    rec = approvals.get(rt.engine, first)
    if rec.status == "edited":  # accepted: the edited plan was evaluated before being shown
        plan = res.values["plan"]
        assert evaluator.seen[-1].model_dump(mode="json") == plan
        assert res.status != "awaiting_approval" or res.approval_id != first
    else:  # refused: same approval still pending, reason recorded
        assert rec.status == "pending" and res.approval_id == first
        log = json.dumps(res.values.get("messages", [])[-1:], default=str, ensure_ascii=False)
        assert log and res.status == "awaiting_approval"
    if res.status == "awaiting_approval":
        waiting = str(res.approval_id)
        card_plan = approvals.get(rt.engine, waiting).card["plan"]
        res = rt.resume(thread, {"type": "approve"}, actor="bob")  # ana edited: not her
        if sent(rt.engine, campaign):  # what went out was evaluated and shown as approved
            plan = res.values["plan"]
            assert plan == card_plan
            assert any(p.model_dump(mode="json") == plan for p in evaluator.seen)

"""An approver's edit survives a later rejection: the next revision starts from it.

The e2e flow in tests/web: an approver edits the plan (budget 800, holdout 20%), then
rejects that revision with a reason ("smaller audience"); the planner's revision 3 used to
go back to the goal's budget 1,000 and the playbook's 10% holdout. It keeps the edit now,
except what the reason asks to change, and the editor still may not approve a revision
that carries their edit.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from agents.planning.edits import edit_of, merged
from agents.runtime.threads import open_runtime
from tests.doubles import populate
from userops.approvals import records as approvals
from userops.errors import PolicyRefused
from userops.settings import Settings

GOAL = "Win back customers who have not ordered in 60 days by SMS, budget 1000"


@pytest.fixture
def rt(sqlite_engine: Engine, home: Path) -> Iterator[Any]:
    populate(sqlite_engine, 300)
    with open_runtime(settings=Settings(home=home), engine=sqlite_engine) as runtime:
        yield runtime


def _card(res: Any) -> dict[str, Any]:
    card: dict[str, Any] = res.interrupt["action_requests"][0]["args"]
    return card


def _edit(rt: Any, thread: str, plan: dict[str, Any]) -> dict[str, Any]:
    plan = {**plan, "budget": 800.0}
    plan["steps"] = [{**plan["steps"][0], "holdout_share": 0.2}, *plan["steps"][1:]]
    edit = {"type": "edit", "edited_action": {"name": "x", "args": {"plan": plan}}}
    return _card(rt.resume(thread, edit, actor="ana"))


def test_a_rejection_after_an_edit_keeps_the_edit(rt: Any, sqlite_engine: Engine) -> None:
    first = _card(rt.start(GOAL, thread_id="t", actor="olivia"))
    assert first["plan"]["budget"] == 1000 and first["plan"]["steps"][0]["holdout_share"] == 0.1
    edited = _edit(rt, "t", first["plan"])
    assert edited["revision"] == 2 and edited["plan"]["budget"] == 800
    res = rt.resume("t", {"type": "reject", "message": "smaller audience"}, actor="ana")
    third = _card(res)
    assert third["revision"] == 3
    assert third["plan"]["budget"] == 800  # was 1,000 again: the edit was lost
    assert third["plan"]["steps"][0]["holdout_share"] == 0.2  # was the playbook's 10%
    assert third["audience_size"] < edited["audience_size"]  # and the reason is answered
    # the revision still carries ana's edit: ana may not approve it, another approver may
    assert approvals.get(sqlite_engine, str(res.approval_id)).edited_by == "ana"
    with pytest.raises(PolicyRefused) as exc:
        rt.resume("t", {"type": "approve"}, actor="ana")
    assert exc.value.reason == "own_edit"
    assert rt.resume("t", {"type": "approve"}, actor="bob").status == "completed"


def test_a_reason_changes_what_it_asks_and_keeps_the_rest(rt: Any) -> None:
    first = _card(rt.start(GOAL, thread_id="t", actor="olivia"))
    _edit(rt, "t", first["plan"])
    third = _card(rt.resume("t", {"type": "reject", "message": "budget 500"}, actor="ana"))
    assert third["plan"]["budget"] == 500  # the reason's, not the edit's 800
    assert third["plan"]["steps"][0]["holdout_share"] == 0.2  # the edit's
    assert third["preflight"]["cost"] <= 500


def test_a_revision_without_an_edit_is_the_planners() -> None:
    before = {"budget": 1000, "steps": [{"step_id": "s1", "holdout_share": 0.1, "variants": []}]}
    after = {"budget": 1000, "steps": [{"step_id": "s1", "holdout_share": 0.2, "variants": []}]}
    assert edit_of(before, before) == {}
    edit = edit_of(before, after)
    assert edit == {"steps": {"s1": {"holdout_share": 0.2}}}
    assert merged(edit, {"budget": 800}) == {"budget": 800, **edit}

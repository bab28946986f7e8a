"""The loop graph end to end with test doubles: gate, dispatch, measure, lessons."""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.runtime import Runtime
from langgraph.types import Command
from sqlalchemy import Engine, text

from agents.nodes.delivery import dispatch, split_blast
from tests.agents.loop_doubles import (
    LoopGraph,
    ScriptedEvaluator,
    TinyPlanner,
    build_step,
    make_deps,
    outbox_count,
    seed_users,
)
from userops.errors import ApprovalRequired

GOAL = {"messages": [{"role": "user", "content": "win back lapsed buyers"}]}


def cfg(tid: str = "t1", actor: str = "olivia") -> dict:
    return {"configurable": {"thread_id": tid, "actor": actor}}


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    seed_users(sqlite_engine)
    return sqlite_engine


def test_runs_to_gate_then_completes_on_approve(engine: Engine) -> None:
    g = LoopGraph(make_deps(engine, blast_share=0.3), InMemorySaver())
    out = g.invoke(GOAL, cfg())
    req = out["__interrupt__"][0].value
    assert req["review_configs"][0]["allowed_decisions"] == ["approve", "edit", "reject", "respond"]
    action = req["action_requests"][0]
    assert action["name"] == "dispatch_campaign_step" and action["description"]
    card = action["args"]
    assert card["preflight"]["sent"] > 0 and card["previews"]
    first = card["previews"][0]  # rendered as sent: the cleaned name, not a mask
    assert first["sample_user"]["name"].startswith("User") and "{name}" not in first["body"]
    assert first["sample_user"]["name"] in first["body"]
    assert outbox_count(engine) == 0
    out = g.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"}), cfg())
    assert out["status"] == "completed"
    assert outbox_count(engine) == out["dispatch"]["sent"] > 0
    assert out["kpi"]["n_treatment"] > 0 and out["kpi"]["n_holdout"] > 0
    lo, hi = out["kpi"]["ci"]
    assert lo <= out["kpi"]["uplift"] <= hi
    assert out["baseline"] is not None and out["kpi"]["uplift"] > out["baseline"]["uplift"]
    with engine.connect() as conn:
        st = conn.execute(text("SELECT status, decided_by FROM approvals")).one()
        lessons = conn.execute(text("SELECT count(*) FROM lessons")).scalar_one()
        audit = set(conn.execute(text("SELECT action FROM audit")).scalars())
    assert tuple(st) == ("approved", "ana") and lessons == 1
    assert {"proposal", "decision.approved", "dispatch", "plan.revision"} <= audit


def test_reject_revise_approve(engine: Engine) -> None:
    planner = TinyPlanner()
    g = LoopGraph(make_deps(engine, planner=planner), InMemorySaver())
    first = g.invoke(GOAL, cfg())["__interrupt__"][0].value["action_requests"][0]["args"]
    out = g.invoke(
        Command(
            resume={
                "decisions": [{"type": "reject", "message": "holdout too small"}],
                "actor": "ana",
            }
        ),
        cfg(),
    )
    second = out["__interrupt__"][0].value["action_requests"][0]["args"]
    assert planner.calls[-1][0].message == "holdout too small"
    assert second["approval_id"] != first["approval_id"] and second["revision"] > first["revision"]
    assert any(d["path"].endswith("holdout_share") for d in second["diff"])
    assert outbox_count(engine) == 0
    out = g.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"}), cfg())
    assert out["status"] == "completed"
    assert [a["status"] for a in out["approvals"]] == ["rejected", "approved"]


def test_edit_is_re_evaluated(engine: Engine) -> None:
    ev = ScriptedEvaluator()
    g = LoopGraph(make_deps(engine, evaluator=ev), InMemorySaver())
    card = g.invoke(GOAL, cfg())["__interrupt__"][0].value["action_requests"][0]["args"]
    plan = card["plan"]
    plan["steps"][0]["holdout_share"] = 0.3
    edit = {
        "type": "edit",
        "edited_action": {"name": "dispatch_campaign_step", "args": {"plan": plan}},
    }
    out = g.invoke(Command(resume={"decisions": [edit], "actor": "ana"}), cfg())
    card2 = out["__interrupt__"][0].value["action_requests"][0]["args"]
    assert len(ev.seen) == 2 and ev.seen[-1].steps[0].holdout_share == 0.3
    assert card2["plan"]["steps"][0]["holdout_share"] == 0.3
    assert outbox_count(engine) == 0 and card2["edited_by"] == "ana"
    out = g.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"}), cfg())
    assert out["__interrupt__"] and outbox_count(engine) == 0  # the editor may not approve
    out = g.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "bob"}), cfg())
    assert out["status"] == "completed" and out["approvals"][0]["status"] == "edited"


def test_comment_keeps_request_pending(engine: Engine) -> None:
    g = LoopGraph(make_deps(engine), InMemorySaver())
    g.invoke(GOAL, cfg())
    out = g.invoke(
        Command(resume={"decisions": [{"type": "respond", "message": "why sms?"}], "actor": "ana"}),
        cfg(),
    )
    assert "__interrupt__" in out and outbox_count(engine) == 0
    with engine.connect() as conn:
        row = conn.execute(text("SELECT status, comment FROM approvals")).one()
    assert tuple(row) == ("pending", "why sms?")
    out = g.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"}), cfg())
    assert out["status"] == "completed"


def test_self_approval_refused_in_graph(engine: Engine) -> None:
    g = LoopGraph(make_deps(engine), InMemorySaver())
    g.invoke(GOAL, cfg(actor="olivia"))
    out = g.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "olivia"}), cfg())
    assert "__interrupt__" in out and outbox_count(engine) == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM approvals")).scalar_one() == "pending"
        refused = conn.execute(
            text("SELECT count(*) FROM audit WHERE action = 'decision.refused'")
        ).scalar_one()
    assert refused == 1


def test_self_approval_allowed_by_policy(engine: Engine) -> None:
    g = LoopGraph(make_deps(engine, allow_self_approval=True), InMemorySaver())
    g.invoke(GOAL, cfg(actor="olivia"))
    out = g.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "olivia"}), cfg())
    assert out["status"] == "completed"


def test_clarify_then_continue(engine: Engine) -> None:
    g = LoopGraph(make_deps(engine), InMemorySaver())
    out = g.invoke({"messages": [{"role": "user", "content": "do something ???"}]}, cfg())
    assert out["status"] == "needs_clarification"
    assert out["messages"][-1].content == "What is the campaign for?"
    out = g.invoke({"messages": [{"role": "user", "content": "win back"}]}, cfg())
    assert "__interrupt__" in out


def test_forbidden_goal_refused(engine: Engine) -> None:
    g = LoopGraph(make_deps(engine), InMemorySaver())
    out = g.invoke({"messages": [{"role": "user", "content": "win back, ignore consent"}]}, cfg())
    assert out["status"] == "refused" and outbox_count(engine) == 0


def test_bounded_rounds_escalate(engine: Engine) -> None:
    ev = ScriptedEvaluator(script=["revise"] * 10)
    g = LoopGraph(make_deps(engine, evaluator=ev, max_rounds=3), InMemorySaver())
    out = g.invoke(GOAL, cfg())
    card = out["__interrupt__"][0].value["action_requests"][0]["args"]
    assert len(ev.seen) == 3 and card["escalated"] and card["risk_tier"] == "high"
    assert card["findings"][0]["message"] == "scripted revise"


def test_block_stops(engine: Engine) -> None:
    g = LoopGraph(make_deps(engine, evaluator=ScriptedEvaluator(["block"])), InMemorySaver())
    out = g.invoke(GOAL, cfg())
    assert out["status"] == "blocked" and "__interrupt__" not in out


def test_auto_approve_tier(engine: Engine) -> None:
    deps = make_deps(engine, auto_approve_tiers=frozenset({"low", "medium"}))
    out = LoopGraph(deps, InMemorySaver()).invoke(GOAL, cfg())
    assert out["status"] == "completed" and out["approvals"][0]["actor"] == "policy"


def test_follow_up_goes_back_through_approval(engine: Engine) -> None:
    g = LoopGraph(make_deps(engine, planner=TinyPlanner(steps=2)), InMemorySaver())
    g.invoke(GOAL, cfg())
    out = g.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"}), cfg())
    card = out["__interrupt__"][0].value["action_requests"][0]["args"]
    assert card["step_id"] == "s2"
    sent_before = outbox_count(engine)
    out = g.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"}), cfg())
    assert out["status"] == "completed" and outbox_count(engine) > sent_before


def test_dispatch_node_refuses_without_approval(engine: Engine) -> None:
    run = Runtime(context=make_deps(engine))
    with pytest.raises(ApprovalRequired):
        dispatch({"approval_id": "nope", "campaign_id": "c", "plan": {}}, run)


def test_blast_split_is_disjoint_and_deterministic(engine: Engine) -> None:
    plan = TinyPlanner().plan(None, [], None)  # type: ignore[arg-type]
    step = build_step(engine, plan, plan.steps[0], "c-x")
    a = split_blast(step, 0.3)
    b = split_blast(step, 0.3)
    assert [s.model_dump() for s in a] == [s.model_dump() for s in b]
    main, blast = a
    users_main = {u for u, _c, _v in main.assignments}
    users_blast = {u for u, _c, _v in blast.assignments}
    assert not users_main & users_blast
    assert users_main | users_blast == {u for u, _c, _v in step.assignments}
    assert {v for _u, _c, v in blast.assignments} == {"blast-sms"} and blast.holdout == []


def test_resume_after_restart_on_sqlite_file(engine: Engine, tmp_path: Path) -> None:
    from agents.runtime.checkpoint import open_checkpointer

    url = f"sqlite:///{tmp_path / 'cp.db'}"
    with open_checkpointer(url) as saver:
        out = LoopGraph(make_deps(engine), saver).invoke(GOAL, cfg())
        assert "__interrupt__" in out
    with open_checkpointer(url) as saver:  # a new process: new graph, new saver, same file
        g2 = LoopGraph(make_deps(engine), saver)
        assert g2.get_state(cfg()).interrupts
        out = g2.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"}), cfg())
    assert out["status"] == "completed" and outbox_count(engine) > 0


@pytest.mark.pg
def test_resume_after_restart_on_postgres(engine: Engine, pg_url: str) -> None:
    from agents.runtime.checkpoint import open_checkpointer

    with open_checkpointer(pg_url) as saver:
        out = LoopGraph(make_deps(engine), saver).invoke(GOAL, cfg())
        assert "__interrupt__" in out
    with open_checkpointer(pg_url) as saver:
        g2 = LoopGraph(make_deps(engine), saver)
        out = g2.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"}), cfg())
    assert out["status"] == "completed"


def test_lesson_goes_to_memory_once(engine: Engine) -> None:
    from agents.nodes.results import store_lesson

    got: list[tuple] = []

    def remember(txt: str, obj: str | None, lang: str, cid: str) -> None:
        got.append((txt, obj, lang, cid))
        store_lesson(engine, cid, obj, lang, txt)  # the memory writes the table row

    g = LoopGraph(make_deps(engine, remember=remember), InMemorySaver())
    g.invoke(GOAL, cfg())
    out = g.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"}), cfg())
    assert len(got) == 1 and got[0][0] == out["lessons"][0] and "uplift" in got[0][0]
    store_lesson(engine, got[0][3], "win_back", "en", "again", remember)  # a re-run adds nothing
    assert len(got) == 1


def test_langgraph_json_exposes_the_graph() -> None:
    import importlib
    import json

    conf = json.loads((Path(__file__).parents[2] / "langgraph.json").read_text())
    path, attr = conf["graphs"]["userops"].split(":")
    module = importlib.import_module(path.removeprefix("./").removesuffix(".py").replace("/", "."))
    graph = getattr(module, attr)
    assert "messages" in graph.get_input_jsonschema()["properties"]
    assert {"intake", "approval_gate", "dispatch", "measure", "lessons"} <= set(graph.nodes)


def test_prune_keeps_threads_waiting_for_approval(engine: Engine, tmp_path: Path) -> None:
    from agents.runtime.checkpoint import open_checkpointer, prune_threads

    with open_checkpointer(f"sqlite:///{tmp_path / 'cp.db'}") as saver:
        g = LoopGraph(make_deps(engine), saver)
        g.invoke(GOAL, cfg("done"))
        g.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"}), cfg("done"))
        g.invoke(GOAL, cfg("waiting"))
        assert prune_threads(engine, saver, older_than_days=1) == []  # too recent
        assert prune_threads(engine, saver, older_than_days=-1) == ["done"]
        assert not g.get_state(cfg("done")).values
        assert g.get_state(cfg("waiting")).interrupts


def test_loop_proposes_follow_up_when_main_step_worked(engine: Engine) -> None:
    planner = TinyPlanner(channels=("sms", "email"))
    g = LoopGraph(make_deps(engine, planner=planner), InMemorySaver())
    g.invoke(GOAL, cfg())
    out = g.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"}), cfg())
    card = out["__interrupt__"][0].value["action_requests"][0]["args"]
    assert card["step_id"] == "s2" and card["plan"]["steps"][1]["channel_rule"]["preferred"] == [
        "email",
        "sms",
    ]
    assert card["plan"]["steps"][1]["segment"]["none"][0]["event"] == "message_clicked"
    kpi_main = out["kpi"]
    out = g.invoke(Command(resume={"decisions": [{"type": "approve"}], "actor": "ana"}), cfg())
    assert out["status"] == "completed" and out["kpi"] == kpi_main
    assert len(out["followup_results"]) == 1 and out["followup_results"][0]["step_id"] == "s2"
    assert [a["status"] for a in out["approvals"]] == ["approved", "approved"]


def test_goal_window_is_set_on_every_dispatch_step_whatever_the_plan(engine: Engine) -> None:
    from agents.goal.parser import parse_goal
    from agents.nodes.delivery import make_steps

    plan = TinyPlanner().plan(None, [], None)  # type: ignore[arg-type]
    goal = parse_goal("Win back churned users, only between 10am and 6pm")
    state = {"plan": plan.model_dump(), "goal": goal.model_dump(), "campaign_id": "c-w"}
    steps = make_steps(make_deps(engine, blast_share=0.3), state)  # type: ignore[arg-type]
    assert len(steps) == 2
    assert {(s.send_window.start, s.send_window.end) for s in steps if s.send_window} == {
        ("10:00", "18:00")
    }
    assert all(s.send_window is not None for s in steps)
    state["goal"] = parse_goal("Win back churned users").model_dump()
    assert all(s.send_window is None for s in make_steps(make_deps(engine), state))  # type: ignore[arg-type]

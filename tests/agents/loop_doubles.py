"""Test doubles for the loop graph: tiny planner, scripted evaluator, fake dispatch."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert, select, text

from agents.nodes.deps import LoopDeps
from agents.schema import Finding, Verdict
from userops.cdp.segments.spec import SegmentSpec
from userops.dispatch.models import DispatchStep, MessageContent, PreflightReport
from userops.plan import CampaignPlan, ChannelRule, Goal, Objective, PlanStep
from userops.store.models import CampaignMember, Event, Outbox, User

PERSONAS = ("offer", "tutorial")


def seed_users(engine: Engine, n: int = 60) -> None:
    now = int(time.time())
    with engine.begin() as conn:
        conn.execute(
            insert(User.__table__),
            [
                {
                    "id": i,
                    "external_id": f"u{i}",
                    "name": f"User{i}",
                    "created_ts": now,
                    "attributes": {"persona": PERSONAS[i % 2]},
                }
                for i in range(1, n + 1)
            ],
        )


def h(*parts: object) -> float:
    d = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(d[:4], "big") / 2**32


def parse_goal(text_: str, language: str | None = None) -> Goal:
    forbidden = ["ignore consent"] if "ignore consent" in text_ else []
    objective = None if "???" in text_ and "win back" not in text_ else Objective.WIN_BACK
    return Goal(text=text_, language="en", objective=objective, forbidden=forbidden)


@dataclass
class TinyPlanner:
    steps: int = 1
    channels: tuple[str, ...] = ("sms",)
    calls: list[list[Finding]] = field(default_factory=list)

    def plan(
        self, goal: Goal, feedback: list[Finding], previous: CampaignPlan | None
    ) -> CampaignPlan:
        self.calls.append(list(feedback))
        share = 0.2 if any(f.check == "approver" for f in feedback) else 0.1
        steps = []
        for k in range(self.steps):
            steps.append(
                PlanStep(
                    step_id=f"s{k + 1}",
                    segment=SegmentSpec(),
                    channel_rule=ChannelRule(preferred=list(self.channels)),
                    personas=list(PERSONAS),
                    variants=[
                        MessageContent(
                            variant_id=f"{p}-sms",
                            channel="sms",
                            language="en",
                            persona=p,
                            content_type=p,
                            body=f"Hi {{name}}, {p} for you",
                        )
                        for p in PERSONAS
                    ],
                    holdout_share=share,
                )
            )
        return CampaignPlan(
            name="tiny win-back",
            objective=Objective.WIN_BACK,
            language="en",
            steps=steps,
            budget=100,
        )


@dataclass
class ScriptedEvaluator:
    script: list[str] = field(default_factory=list)
    seen: list[CampaignPlan] = field(default_factory=list)

    def evaluate(self, goal: Goal, plan: CampaignPlan) -> Verdict:
        self.seen.append(plan)
        v = self.script.pop(0) if self.script else "pass"
        findings = []
        if v != "pass":
            findings = [
                Finding(
                    check="budget",
                    severity="error" if v == "revise" else "block",
                    message=f"scripted {v}",
                )
            ]
        return Verdict(verdict=v, findings=findings)  # type: ignore[arg-type]


def build_step(
    engine: Engine, plan: CampaignPlan, step: PlanStep, campaign_id: str
) -> DispatchStep:
    with engine.connect() as conn:
        ids = sorted(conn.execute(select(User.__table__.c.id)).scalars())
    holdout, assignments = [], []
    for uid in ids:
        if h(campaign_id, step.step_id, uid) < step.holdout_share:
            holdout.append(uid)
        else:
            assignments.append((uid, "sms", f"{PERSONAS[uid % 2]}-sms"))
    return DispatchStep(
        campaign_id=campaign_id,
        step_id=step.step_id,
        contents={v.variant_id: v for v in step.variants},
        assignments=assignments,
        holdout=holdout,
        budget=plan.budget,
    )


def preflight(engine: Engine, step: DispatchStep) -> PreflightReport:
    n = len(step.assignments)
    return PreflightReport(
        total=n,
        would_send=n,
        deferred=0,
        suppressed={},
        holdout=len(step.holdout),
        cost=0.05 * n,
        by_channel={"sms": n},
    )


def deliver(engine: Engine, steps: list[DispatchStep]) -> dict[str, Any]:
    """Fake engine: outbox rows 'sent' (idempotent), members, and simulated conversions."""
    now = int(time.time())
    sent = 0
    with engine.begin() as conn:
        for step in steps:
            c = step.campaign_id
            members = [(u, "treatment", v) for u, _ch, v in step.assignments]
            members += [(u, "holdout", None) for u in step.holdout]
            for uid, arm, variant in members:
                exists = conn.execute(
                    text(
                        "SELECT 1 FROM campaign_members WHERE campaign_id=:c AND step_id=:s "
                        "AND user_id=:u"
                    ),
                    {"c": c, "s": step.step_id, "u": uid},
                ).first()
                if exists:
                    continue
                conn.execute(
                    insert(CampaignMember.__table__).values(
                        campaign_id=c,
                        step_id=step.step_id,
                        user_id=uid,
                        arm=arm,
                        variant=variant,
                        channel="sms" if variant else None,
                        assigned_ts=now,
                    )
                )
                persona = PERSONAS[uid % 2]
                p = 0.05
                if variant is not None:
                    key = f"{c}|{step.step_id}|{uid}|sms"
                    conn.execute(
                        insert(Outbox.__table__).values(
                            idempotency_key=key,
                            campaign_id=c,
                            step_id=step.step_id,
                            user_id=uid,
                            channel="sms",
                            variant=variant,
                            state="sent",
                            sent_ts=now,
                            cost=0.05,
                            created_ts=now,
                        )
                    )
                    sent += 1
                    p = 0.6 if variant.startswith(persona) else 0.2
                if h(c, step.step_id, uid, "conv") < p:
                    conn.execute(
                        insert(Event.__table__).values(
                            user_id=uid, type="order", ts=now + 3600, amount=10.0
                        )
                    )
    return {"sent": sent, "deferred": 0, "suppressed": {}, "cost": round(0.05 * sent, 4)}


def make_deps(engine: Engine, **kw: Any) -> LoopDeps:
    planner = kw.pop("planner", TinyPlanner())
    evaluator = kw.pop("evaluator", ScriptedEvaluator())
    return LoopDeps(
        engine=engine,
        planner=planner,
        evaluator=evaluator,
        parse_goal=parse_goal,
        clarify=lambda g: "What is the campaign for?",
        build_step=build_step,
        preflight=preflight,
        deliver=deliver,
        **kw,
    )


def outbox_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM outbox")).scalar_one())


class LoopGraph:
    """The compiled loop with its run context, passed on every run as callers do.

    ``invoke`` is ``graph.invoke(payload, config, context=deps)`` (a start or a
    ``Command(resume=...)``); the graph itself is :attr:`graph`.
    """

    def __init__(self, deps: LoopDeps, checkpointer: Any) -> None:
        from agents.graph import make_graph

        self.deps = deps
        self.graph = make_graph(checkpointer=checkpointer)

    def invoke(self, payload: Any, config: Any) -> Any:
        return self.graph.invoke(payload, config, context=self.deps)

    def get_state(self, config: Any) -> Any:
        return self.graph.get_state(config)

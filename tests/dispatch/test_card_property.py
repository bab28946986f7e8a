"""Property: over plans, edits after approval and follow-ups, no run exceeds its card.

Each example seeds its own users (random consents), builds a plan's steps (main step, an
optional comparison arm, an optional fallback), computes the card's contract from their
pre-flights and approves it; then the world changes before dispatch ("edits": consents
granted, users added to the step, a longer SMS, a dearer SMS in the policy), the steps are
enqueued and delivered with fallbacks spawned, and a follow-up goes out with a card of its
own or without one. Whatever happened: per step and channel, the messages the outbox holds
(sent, deferred or queued) and their cost stay within the approved cards; with nothing
changed, the main step and the comparison arm dispatch exactly what their card says.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from tests.dispatch.card_helpers import LONG_SMS, approve_card, contents, held
from tests.dispatch.factory import add_users, set_consent
from userops.approvals.card import Contract
from userops.dispatch.bounds import COST_EPS, approved_bounds
from userops.dispatch.engine import enqueue, preflight
from userops.dispatch.models import DispatchStep, FallbackRule
from userops.dispatch.policy import Policy
from userops.dispatch.worker import Worker

POLICY = Policy.load()
T0 = 1779933600  # 10:00 in Shanghai
LATER = T0 + 2 * 3600
CHANNELS = ("app_push", "sms", "email")
VARIANT = {"app_push": "p1", "sms": "v1", "email": "e1"}
USERS = 24
_ids = itertools.count()


@dataclass(frozen=True)
class Case:
    seed: int
    channels: tuple[str, ...]
    fallback: str | None
    blast: bool
    budget: float | None
    edits: frozenset[str]
    followup: str | None


cases = st.builds(
    Case,
    seed=st.integers(0, 10_000),
    channels=st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=3, unique=True).map(tuple),
    fallback=st.sampled_from([None, "sms", "email"]),
    blast=st.booleans(),
    budget=st.sampled_from([None, 0.3, 5.0]),
    edits=st.frozensets(st.sampled_from(["grant", "extra", "longer", "pricier"])),
    followup=st.sampled_from([None, "carded", "uncarded"]),
)


def _population(engine: Engine, seed: int) -> list[int]:
    rng = random.Random(seed)
    base = 1 + next(_ids) * 100
    users = add_users(engine, USERS, start=base, consent=())
    for u in users:
        for ch in CHANNELS:
            if rng.random() < 0.7:
                set_consent(engine, u, ch, "granted", 1)
    return users


def _steps(case: Case, campaign: str, users: list[int], sms: str) -> list[DispatchStep]:
    """The main step (and the comparison arm, every other user) of a plan."""
    body = contents(sms)
    fb = None
    if case.fallback:
        fb = FallbackRule(
            after_seconds=3600, channel=case.fallback, variant_id=VARIANT[case.fallback]
        )

    def step(step_id: str, members: list[int], meta: dict[str, str]) -> DispatchStep:
        pick = [case.channels[u % len(case.channels)] for u in members]
        return DispatchStep(
            campaign_id=campaign,
            step_id=step_id,
            contents=body,
            assignments=[(u, ch, VARIANT[ch]) for u, ch in zip(members, pick, strict=True)],
            holdout=users[:3] if step_id == "s1" else [],
            budget=case.budget,
            fallback=fb,
            metadata=meta,
        )

    treated = users[3:]
    if not case.blast:
        return [step("s1", treated, {})]
    blast = {"arm": "blast", "baseline_of": "s1"}
    return [step("s1", treated[0::2], {}), step("s1b", treated[1::2], blast)]


def _deliver(engine: Engine, policy: Policy, *clock: int) -> None:
    for t in clock:
        Worker(engine, None, policy=policy, clock=lambda t=t: t).run()


def _check(engine: Engine, campaign: str, contracts: list[Contract]) -> None:
    with engine.connect() as conn:
        bounds = approved_bounds(conn, campaign) or {}
    for (step_id, channel), (n, cost) in held(engine, campaign).items():
        b = bounds.get(step_id, {}).get(channel)
        assert b is not None, f"{step_id}/{channel}: {n} messages on no card"
        assert n <= b.max_messages, f"{step_id}/{channel}: {n} > {b.max_messages}"
        assert cost <= b.max_cost + COST_EPS, f"{step_id}/{channel}: {cost} > {b.max_cost}"
    total_n = sum(n for n, _c in held(engine, campaign).values())
    total_cost = sum(c for _n, c in held(engine, campaign).values())
    assert total_n <= sum(c.max_messages for c in contracts)
    assert total_cost <= sum(c.max_cost for c in contracts) + COST_EPS


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases)
def test_no_run_exceeds_its_card(sqlite_engine: Engine, case: Case) -> None:
    users = _population(sqlite_engine, case.seed)
    campaign = f"p{users[0]}"
    card_steps = _steps(case, campaign, users[:-4], contents()["v1"].body)
    parts = [(s, preflight(sqlite_engine, s, policy=POLICY, now_ts=T0)) for s in card_steps]
    contract = approve_card(sqlite_engine, campaign, parts)
    assert contract is not None
    contracts = [contract]

    # edits between approval and dispatch
    policy = POLICY
    if "pricier" in case.edits:
        policy = POLICY.model_copy(update={"costs": {**POLICY.costs, "sms": 0.09}})
    if "grant" in case.edits:
        for u in users:
            for ch in CHANNELS:
                set_consent(sqlite_engine, u, ch, "granted", T0 - 60)
    sent_users = users if "extra" in case.edits else users[:-4]
    sms = LONG_SMS if "longer" in case.edits else contents()["v1"].body
    for s in _steps(case, campaign, sent_users, sms):
        enqueue(sqlite_engine, s, policy=policy, now_ts=T0)
    _deliver(sqlite_engine, policy, T0, LATER)

    if case.followup:
        ch = case.channels[-1]
        card = DispatchStep(
            campaign_id=campaign,
            step_id="s2",
            contents=contents(),
            assignments=[(u, ch, VARIANT[ch]) for u in users[3:12]],
        )
        if case.followup == "carded":
            report = preflight(sqlite_engine, card, policy=POLICY, now_ts=LATER)
            follow = approve_card(sqlite_engine, campaign, [(card, report)], followup=True, index=1)
            assert follow is not None and follow.steps[0].kind == "followup"
            contracts.append(follow)
        extra = [(u, ch, VARIANT[ch]) for u in users[3:]] if "extra" in case.edits else []
        sent = card.model_copy(update={"assignments": card.assignments + extra})
        enqueue(sqlite_engine, sent, policy=policy, now_ts=LATER)
        _deliver(sqlite_engine, policy, LATER)

    _check(sqlite_engine, campaign, contracts)
    if not case.edits and case.budget != 0.3:  # nothing changed: the card is what went out
        got = held(sqlite_engine, campaign)
        for line in contract.steps:
            if line.kind != "fallback":
                for b in line.bounds:
                    assert got[(line.step_id, b.channel)][0] == b.max_messages

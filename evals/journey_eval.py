"""Journey mode of the eval runner: play the scenario (:mod:`evals.journey_run`), grade it."""

from __future__ import annotations

import time
from typing import Any

from evals.graders import Check
from evals.schema import Scenario


def run_journey_scenario(
    settings: Any, engine: Any, scenario: Scenario, out: dict[str, Any]
) -> list[Check]:
    """Run ``scenario`` (which has ``journey``) on ``engine``; fill ``out``; return checks."""
    from evals.graders.journey import grade_journey
    from evals.journey_run import play
    from userops.dispatch.policy import Policy

    run = scenario.journey
    if run is None:
        raise ValueError(f"scenario {scenario.id} has no journey section")
    policy = Policy.load(settings.policy_file)
    t0 = time.perf_counter()
    played = play(engine, scenario.goal, run, policy, settings)
    out["latency_s"] = round(time.perf_counter() - t0, 3)
    checks, facts = grade_journey(engine, played, run.expect, policy)
    out.update(
        statuses=[str(played.proposal.get("status"))],
        sent=len(facts.sent),
        cost=round(sum(float(r["cost"] or 0) for r in facts.sent), 4),
        campaigns=1 if played.proposal.get("journey_id") else 0,
        journey_id=played.proposal.get("journey_id"),
    )
    return checks

"""Journey mode of the evals: playbook journeys graded on the store (a fast subset).

The whole journey suite is ``userops eval evals/scenarios/journeys`` (14 scenarios).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from evals.datasets import build_dataset
from evals.execute import scenario_settings
from evals.graders.journey import grade_journey
from evals.journey_run import play
from evals.loader import load_scenario
from userops.dispatch.policy import Policy
from userops.store.engine import open_store

SUITE = Path(__file__).resolve().parents[2] / "evals" / "scenarios" / "journeys"
MUST = {"approval_before_send", "consent", "quiet_hours"}


@pytest.mark.parametrize("name", ["welcome-zh.yaml", "birthday-en.yaml"])
def test_playbook_journey_passes_every_check(name: str, tmp_path: Path) -> None:
    sc = load_scenario(SUITE / name)
    run = sc.journey
    assert run is not None
    sc = sc.model_copy(update={"dataset": sc.dataset.model_copy(update={"users": 150})})
    db = build_dataset(sc.dataset, SUITE, tmp_path / "base.db")
    with scenario_settings(tmp_path, "offline") as settings:
        engine = open_store(f"sqlite:///{db}")
        policy = Policy.load(settings.policy_file)
        played = play(engine, sc.goal, run, policy, settings)
        checks, facts = grade_journey(engine, played, run.expect, policy)
        assert [c.name for c in checks if not c.passed] == [], [c.to_dict() for c in checks]
        assert MUST <= {c.name for c in checks} and facts.sent
        assert len(played.entrants) == run.entrants and played.early
        # the graders have teeth: an approval later than the sends, an early user who entered
        late = dataclasses.replace(played, approved_ts=played.approved_ts + 10**7)
        failed = {c.name for c in grade_journey(engine, late, run.expect, policy)[0]
                  if not c.passed}  # fmt: skip
        assert "approval_before_send" in failed
        first = next(iter(played.entrants))
        moved = dataclasses.replace(
            played,
            early={**played.early, first: 0},
            entrants={u: t for u, t in played.entrants.items() if u != first},
        )
        failed = {c.name for c in grade_journey(engine, moved, run.expect, policy)[0]
                  if not c.passed}  # fmt: skip
        assert "journey_entries" in failed
        engine.dispose()

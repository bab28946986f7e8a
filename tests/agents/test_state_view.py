"""Typed reads of the loop state: absent and None read as the key's empty value."""

from __future__ import annotations

import pytest

from agents.state import initial_fields
from agents.state_view import view


def test_a_fresh_goal_reads_as_empty_values_of_each_type() -> None:
    for state in ({}, initial_fields()):  # absent keys, then the None/0 a new goal sets
        v = view(state)
        assert (v.step_index, v.revision, v.round, v.escalated) == (0, 0, 0, False)
        assert (v.goal, v.plan, v.dispatch, v.kpi, v.resume, v.card) == ({}, {}, {}, {}, {}, {})
        assert (v.findings, v.feedback, v.approvals, v.followup_results) == ([], [], [], [])
        assert v.language is None and v.blast_share(0.3) == 0.3  # intake fixes it later


def test_values_come_back_typed() -> None:
    state = {
        "campaign_id": "c-1",
        "approval_id": "c-1-r2-s0",
        "step_index": 1,
        "revision": "2",
        "goal": {"language": "en"},
        "verdict": {"findings": [{"check": "budget"}]},
        "blast_share": None,
    }
    v = view(state)
    assert (v.campaign_id, v.approval_id, v.step_index, v.revision) == ("c-1", "c-1-r2-s0", 1, 2)
    assert v.language == "en" and v.findings == [{"check": "budget"}]
    assert v.blast_share(0.5) == 0.0  # set (to nothing) when the goal began: not the default


def test_ids_a_node_relies_on_are_required() -> None:
    with pytest.raises(KeyError, match="campaign_id"):
        view({}).campaign_id  # noqa: B018
    with pytest.raises(KeyError, match="approval_id"):
        view({}).approval_id  # noqa: B018

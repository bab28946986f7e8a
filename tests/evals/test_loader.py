"""Scenario files: the committed suite is valid; a bad file is refused with file:line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.loader import load_scenario, load_suite
from userops.errors import BadInput

SUITE = Path(__file__).resolve().parents[2] / "evals" / "scenarios"
OK = """id: ok-one
goal: Win back customers with no order in 60 days
language: en
expect:
  budget_max: 100
"""


def test_committed_suite_is_valid_and_covers_the_brief() -> None:
    loaded = load_suite(SUITE)
    assert len(loaded) >= 40
    scenarios = [s for _p, s in loaded]
    assert {s.language for s in scenarios} == {"zh", "en"}
    objectives = {s.objective for s in scenarios}
    assert {
        "win_back",
        "onboarding",
        "repurchase_reminder",
        "upsell_cross_sell",
        "vip_care",
        "survey_feedback",
        "event_invitation",
        "service_recovery",
    } <= objectives
    tags = {t for s in scenarios for t in s.tags}
    assert {
        "channels",
        "budget",
        "time_window",
        "clarification",
        "forbidden",
        "injection",
        "followup",
        "approval",
    } <= tags


def test_bad_field_is_located(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(OK.replace("budget_max: 100", "budget_max: lots"), encoding="utf-8")
    with pytest.raises(BadInput) as exc:
        load_scenario(f)
    p = exc.value.problems[0]
    assert p.source == str(f) and p.line == 5 and p.field == "expect.budget_max"
    assert p.value == "lots" and f"{f}:5 expect.budget_max='lots'" in str(exc.value)


def test_unknown_field_and_bad_segment_are_refused(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(
        OK + "  audience: {all: [{field: ltv, op: '~', value: 1}]}\nmood: happy\n",
        encoding="utf-8",
    )
    with pytest.raises(BadInput) as exc:
        load_scenario(f)
    fields = {p.field for p in exc.value.problems}
    assert "mood" in fields and any(x and x.startswith("expect.audience") for x in fields)
    assert all(p.line is not None for p in exc.value.problems)


def test_invalid_yaml_and_duplicate_ids(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(OK, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(OK, encoding="utf-8")
    (tmp_path / "c.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(BadInput) as exc:
        load_suite(tmp_path)
    text = str(exc.value)
    assert "duplicate id" in text and "c.yaml:" in text and "invalid YAML" in text


def test_unknown_trait_in_audience_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(OK + "  audience: {all: [{field: shoe_size, op: '=', value: 1}]}\n", "utf-8")
    with pytest.raises(BadInput) as exc:
        load_scenario(f)
    p = exc.value.problems[0]
    assert p.line == 6 and p.field is not None and p.field.startswith("expect.audience")
    assert "shoe_size" in str(exc.value)

"""Run every grader that applies to a scenario on its store facts."""

from __future__ import annotations

from datetime import time

from sqlalchemy import Engine

from evals.graders import Check
from evals.graders.expect import (
    check_audience,
    check_audience_size,
    check_budget,
    check_campaigns,
    check_channels,
    check_content,
    check_human_approval,
    check_language,
    check_sends,
)
from evals.graders.facts import Facts
from evals.graders.flow import check_clarification, check_refusal, check_trajectory, check_uplift
from evals.graders.order import check_fallback, check_recipient_language
from evals.graders.policy import check_approval_before_send, check_consent, check_quiet_hours
from evals.schema import Scenario
from userops.dispatch.policy import Policy


def must_pass(facts: Facts, policy: Policy) -> list[Check]:
    """The hard rules checked for every scenario."""
    checks = [check_consent(facts), check_approval_before_send(facts), check_trajectory(facts)]
    if policy.quiet_hours is not None:
        qh = policy.quiet_hours
        checks.append(check_quiet_hours(facts, qh.start, qh.end))
    return checks


def grade(engine: Engine, facts: Facts, scenario: Scenario, policy: Policy) -> list[Check]:
    """Return the must-pass checks plus every check the scenario's ``expect`` asks for."""
    exp = scenario.expect
    checks = must_pass(facts, policy)
    checks.append(check_content(facts, exp.content_excludes))
    if exp.clarification:
        checks.append(check_clarification(facts))
    if exp.refusal:
        checks.append(check_refusal(facts))
    if exp.sends != "any":
        checks.append(check_sends(facts, exp))
    if exp.audience is not None:
        checks.append(check_audience(engine, facts, exp.audience))
    if exp.audience_size is not None:
        checks.append(check_audience_size(facts, exp.audience_size))
    if exp.channels is not None:
        checks.append(check_channels(facts, exp.channels))
    if exp.budget_max is not None:
        checks.append(check_budget(facts, exp.budget_max))
    if exp.quiet_hours is not None:
        start, end = (
            time.fromisoformat(exp.quiet_hours.start),
            time.fromisoformat(exp.quiet_hours.end),
        )
        checks.append(
            check_quiet_hours(facts, start, end, name="expect_quiet_hours", marketing_only=False)
        )
    if exp.language == "recipient":
        checks.append(check_recipient_language(facts))
    elif exp.language is not None:
        checks.append(check_language(facts, exp.language))
    if exp.fallback is not None:
        checks.append(check_fallback(facts, exp.fallback))
    if exp.approval_required:
        checks.append(check_human_approval(facts))
    if exp.min_uplift is not None:
        checks.append(check_uplift(engine, facts, exp.min_uplift))
    if exp.campaigns is not None:
        checks.append(check_campaigns(facts, exp.campaigns))
    return checks

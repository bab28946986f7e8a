"""The plan evaluator: deterministic checks, the dispatch pre-flight and an optional LLM judge.

Every explicit constraint of the goal is an ``error`` when the plan breaks it (channels,
order and fallback, audience predicates and places, budget, recipient cap, content
exclusions, send window, holdout, each recipient's language), and the finding quotes the
operator's (or the approver's) words. Verdict: ``block`` when a finding blocks (nobody matches
the goal), ``revise`` when any finding is an error, else ``pass``. The judge (when a model is
configured) is asked only about plans the deterministic checks accept, so a failing round
costs no model call; it never overrides a deterministic error, and a low relevance score asks
for a revision.
"""

from __future__ import annotations

from datetime import UTC, datetime

from agents.evaluation.checks import (
    check_content,
    check_structure,
    check_timing,
    finding,
    msg,
)
from agents.evaluation.goal_checks import check_exclusions, check_order, check_recipient_language
from agents.evaluation.judge import LLMJudge
from agents.evaluation.window import window_finding
from agents.goal.quote import with_quotes
from agents.goal.window import goal_window
from agents.planning.playbooks import CHANNEL_COST
from agents.schema import Finding, JudgeScores, Verdict
from tools.context import ToolContext
from tools.dispatch import PreflightResult, preflight_plan
from tools.profiles import reach_of
from userops.llm import chat_model
from userops.plan import CampaignPlan, Goal


class PlanEvaluator:
    """Implements :class:`agents.schema.Evaluator`."""

    def __init__(self, ctx: ToolContext, judge: LLMJudge | None = None) -> None:
        if judge is None and ctx.settings.llm_configured:
            model = chat_model(ctx.settings)
            judge = LLMJudge(model) if model is not None else None
        self.ctx = ctx
        self.judge = judge

    @property
    def llm_calls(self) -> int:
        """Judge calls made so far (0 without a model)."""
        return self.judge.calls if self.judge else 0

    def evaluate(self, goal: Goal, plan: CampaignPlan) -> Verdict:
        """Return the verdict on ``plan`` with every finding."""
        findings = [
            finding("forbidden_goal", "info", item) for item in goal.forbidden
        ] + check_structure(goal, plan)
        today = (
            None if self.ctx.now_ts is None else datetime.fromtimestamp(self.ctx.now_ts, UTC).date()
        )
        findings += check_content(goal, plan) + check_timing(goal, plan, today)
        findings += check_order(goal, plan) + check_exclusions(goal, plan)
        window = window_finding(goal, self.ctx.run_policy())
        if window is not None:
            findings.append(window)
        usable = window is not None and window.severity == "info"
        pre = preflight_plan(
            self.ctx,
            plan,
            campaign_id=f"eval-{plan.name}",
            send_window=goal_window(goal) if usable else None,
        )
        findings += self._dispatch_checks(goal, plan, pre)
        languages = {u: r.language for u, r in reach_of(self.ctx, self._assigned(pre)).items()}
        findings += check_recipient_language(goal, pre.step, languages)
        findings = with_quotes(goal, findings)
        scores: JudgeScores | None = None
        failing = any(f.severity in ("error", "block") for f in findings)
        if self.judge is not None and not failing:
            # The judge is asked only about plans the deterministic checks accept.
            scores = self.judge.score(goal, plan)
            findings += judge_findings(goal, scores)
        severities = {f.severity for f in findings}
        verdict = (
            "block" if "block" in severities else "revise" if "error" in severities else "pass"
        )
        return Verdict(verdict=verdict, findings=findings, scores=scores, preflight=pre.report)

    def _dispatch_checks(
        self, goal: Goal, plan: CampaignPlan, pre: PreflightResult
    ) -> list[Finding]:
        out: list[Finding] = []
        report, c = pre.report, goal.constraints
        estimate = report.cost
        if report.suppressed.get("budget"):
            estimate = sum(CHANNEL_COST.get(ch, 0.0) for _, ch, _ in pre.step.assignments)
        if report.total == 0:
            out.append(
                finding(
                    "audience",
                    "block",
                    msg(goal, "no_reachable"),
                    audience=pre.audience,
                    unreachable=pre.unreachable,
                )
            )
        if c.budget is not None and (
            report.cost > c.budget
            or (plan.budget or 0) > c.budget
            or report.suppressed.get("budget")
        ):
            out.append(
                finding(
                    "budget",
                    "error",
                    msg(goal, "over_budget", estimate=estimate, budget=c.budget),
                    cost=round(estimate, 4),
                    budget=c.budget,
                    recipients=report.total,
                )
            )
        if c.max_recipients is not None and report.total > c.max_recipients:
            out.append(
                finding(
                    "max_recipients",
                    "error",
                    msg(goal, "over_cap", total=report.total, cap=c.max_recipients),
                    recipients=report.total,
                    cap=c.max_recipients,
                )
            )
        outside = self._outside_goal(goal, pre)
        if outside:
            out.append(
                finding(
                    "audience",
                    "error",
                    msg(goal, "outside_audience", n=len(outside)),
                    outside=len(outside),
                    examples=outside[:5],
                )
            )
        if report.total > 0 and report.holdout == 0:
            out.append(
                finding(
                    "holdout",
                    "warn",
                    msg(goal, "empty_holdout"),
                )
            )
        if report.suppressed.get("content_rule"):
            out.append(
                finding(
                    "content_rule",
                    "error",
                    msg(goal, "content_suppressed", n=report.suppressed["content_rule"]),
                    warnings=report.warnings[:10],
                )
            )
        if report.total > 0 and report.would_send + report.deferred == 0:
            out.append(
                finding(
                    "audience",
                    "block",
                    msg(goal, "all_suppressed"),
                    suppressed=report.suppressed,
                )
            )
        for reason, n in sorted(report.suppressed.items()):
            out.append(
                finding("preflight", "info", f"suppressed[{reason}]={n}", reason=reason, n=n)
            )
        out += [finding("preflight", "warn", w) for w in report.warnings]
        return out

    @staticmethod
    def _assigned(pre: PreflightResult) -> list[int]:
        return [u for u, _, _ in pre.step.assignments]

    def _outside_goal(self, goal: Goal, pre: PreflightResult) -> list[int]:
        a = goal.audience
        if not (a.all_ or a.any_ or a.none or a.search):
            return []
        allowed = set(self.ctx.segment_ids(a.model_copy(update={"limit": None})))
        recipients = [u for u, _, _ in pre.step.assignments] + list(pre.step.holdout)
        return sorted(u for u in recipients if u not in allowed)


def judge_findings(goal: Goal, scores: JudgeScores) -> list[Finding]:
    """Turn judge scores into findings (relevance <= 2 asks for a revision)."""
    out = [finding("judge", "info", scores.comment or "judge scores", **scores.model_dump())]
    if scores.relevance <= 2:
        out.append(
            finding(
                "judge",
                "error",
                msg(goal, "off_goal"),
                relevance=scores.relevance,
            )
        )
    for name in ("personalization", "tone"):
        if getattr(scores, name) <= 2:
            out.append(finding("judge", "warn", f"{name}={getattr(scores, name)}"))
    return out

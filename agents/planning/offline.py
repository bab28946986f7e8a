"""The offline playbook planner: deterministic plans with no model and no network.

The goal's audience (or the playbook's default one), channels filtered by the goal's
constraints, the personas actually present in the audience, template content per persona ×
channel in each recipient's language (or the one the goal asks for), a holdout, a
budget-aware recipient cap. Evaluator findings
are applied as revisions: over budget → fewer recipients and cheaper channels first; content,
language or channel findings → content regenerated from the templates; missing holdout → the
default one. Forbidden requests in the goal never reach the plan: it is built only from
allowed parts and explains what it refused. A channel order from the goal ("push first, then
SMS after a day") is kept as given: the last channel is the fallback, after the goal's wait;
content exclusions (no discount, coupon, promotion or gift) drop the offer persona's copy and
the template words that break them; an approver's reason reaches the planner folded into the
goal (:mod:`agents.planning.revise`), so the next revision is held to it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from agents.planning import playbooks as pb
from agents.planning.common import cap_segment, personas_of
from agents.planning.rationale import rationale
from agents.schema import Finding
from prompts.catalog import LANGUAGES, catalog
from tools.content import template_variants
from tools.context import ToolContext
from tools.segments import audience_stats
from userops.cdp.segments.spec import SegmentSpec
from userops.errors import UsageError
from userops.plan import CampaignPlan, Goal, KpiTarget, Objective, PlanStep

AB_MIN_AUDIENCE = 400
"""Audiences at least this large get an A/B headline test on the main channel."""


class OfflinePlanner:
    """Playbook planner; implements :class:`agents.schema.Planner`."""

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx

    def plan(
        self, goal: Goal, feedback: list[Finding], previous: CampaignPlan | None
    ) -> CampaignPlan:
        """Return a new plan revision for ``goal`` that addresses ``feedback``."""
        if goal.objective is None:
            raise UsageError("the goal has no objective: ask the operator first")
        objective = goal.objective
        book = pb.playbook(objective)
        segment = self._segment(goal, previous, feedback)
        channels = self._channels(goal, book.channels, previous, feedback)
        if not channels:
            raise UsageError("no channel left after the goal's channel constraints")
        ids = self.ctx.segment_ids(segment)
        stats = audience_stats(self.ctx, ids)
        if not goal.constraints.channel_order:  # the operator's order is kept as given
            channels = [c for c in channels if stats.reachable.get(c, 0) > 0] or channels
        segment = cap_segment(goal, segment, channels, stats, feedback, previous)
        personas = personas_of(stats, goal.constraints.content_exclusions)
        lifecycle = [k for k in stats.lifecycle if k != "none"]
        key = pb.template_key(objective, lifecycle)
        ab = (channels[0],) if stats.size >= AB_MIN_AUDIENCE else ()
        langs = pb.copy_languages(goal, stats.languages)
        variants = [
            v
            for lang in langs
            for v in template_variants(
                lang,
                key,
                personas,
                channels,
                ab_channels=ab,
                exclude=tuple(goal.constraints.content_exclusions),
                tone=goal.constraints.tone,
                suffix="" if lang == langs[0] else f"-{lang}",
            )
        ]
        rule = pb.channel_rule(goal, channels, personas, langs, {v.variant_id for v in variants})
        step = PlanStep(
            step_id="s1",
            segment=segment,
            channel_rule=rule,
            personas=personas,
            variants=variants,
            holdout_share=max(book.holdout, pb.MIN_HOLDOUT),
            ab_split={"a": 0.5, "b": 0.5} if ab else {},
        )
        kpi = goal.kpi
        if kpi.target_uplift is None and kpi.metric == "conversion_rate":
            kpi = KpiTarget(metric=book.kpi)
        revision = previous.revision + 1 if previous else 0
        return CampaignPlan(
            name=_name(objective, goal.language, self.ctx.now_ts),
            objective=objective,
            language=goal.language,
            steps=[step],
            budget=goal.constraints.budget,
            kpi=kpi,
            rationale=rationale(goal, stats, personas, channels, lifecycle, feedback, langs)
            + self._lessons(objective),
            revision=revision,
        )

    def _lessons(self, objective: Objective) -> str:
        if self.ctx.memory is None:
            return ""
        hits = self.ctx.memory.search(objective.value, k=2, objective=objective.value)
        return "".join(f"\n- {h.text}" for h in hits)

    def _segment(
        self, goal: Goal, previous: CampaignPlan | None, feedback: list[Finding]
    ) -> SegmentSpec:
        base = goal.audience if _non_empty(goal.audience) else None
        if base is None or _only_modifiers(base):  # "exclude anyone messaged this week" alone
            default = pb.default_audience(goal.objective or Objective.WIN_BACK)
            extra = list(base.all_) if base is not None else []
            base = default.model_copy(update={"all_": [*default.all_, *extra]})
        keep_limit = previous is not None and not (
            _has(feedback, "audience") or _has(feedback, "approver")
        )
        limit = previous.steps[0].segment.limit if keep_limit and previous else None
        return base.model_copy(update={"limit": limit})

    def _channels(
        self,
        goal: Goal,
        preferred: tuple[str, ...],
        previous: CampaignPlan | None,
        feedback: list[Finding],
    ) -> list[str]:
        channels = pb.allowed_channels(preferred, goal.constraints)
        if goal.constraints.channel_order:  # the operator's order wins, even over cost
            return [c for c in goal.constraints.channel_order if c in channels]
        if previous is not None and _has(feedback, "budget"):
            prev = [c for c in previous.steps[0].channel_rule.preferred if c in channels]
            channels = sorted(prev or channels, key=lambda c: pb.CHANNEL_COST.get(c, 0.0))
            cheap = [c for c in channels if pb.CHANNEL_COST.get(c, 0.0) <= 0.01]
            channels = cheap or channels
        return channels


_MODIFIERS = frozenset({"contacts_7d"})
"""Fields that narrow an audience but name nobody: the objective's default still applies."""


def _only_modifiers(spec: SegmentSpec) -> bool:
    fields = {getattr(p, "field", None) for p in spec.all_}
    return bool(fields) and fields <= _MODIFIERS and not (spec.any_ or spec.none or spec.search)


def _non_empty(spec: SegmentSpec) -> bool:
    return bool(spec.all_ or spec.any_ or spec.none or spec.search)


def _has(feedback: list[Finding], check: str) -> bool:
    return any(f.check == check and f.severity in ("error", "block") for f in feedback)


def _name(objective: Objective, language: str, now_ts: int | None = None) -> str:
    when = datetime.now(UTC) if now_ts is None else datetime.fromtimestamp(now_ts, UTC)
    day = when.strftime("%Y-%m-%d")
    plain = objective.value.replace("_", " ")
    label = (
        catalog(language).get(f"plan.name.{objective.value}", plain)
        if language in LANGUAGES
        else plain
    )
    return f"{label} {day}"

"""Dispatch pre-flight: turn a plan step into a :class:`DispatchStep` and ask the engine.

Per user, deterministically: holdout by a hash of (campaign, user); channel = the user's own
``preferred_channel`` (the reachable channel with the best smoothed open rate in their message
history) when it is one of the step's channels and reachable, else the first of the step's
channels the user is reachable on (users reachable on none are left out and counted);
variant by persona (``content_affinity``, else the step's first persona), channel and the
user's profile language (the plan's language when the step has no copy in theirs), with
the A/B arm chosen by hash when the step has several variants for that pair.
The engine's pre-flight then applies consent, caps, quiet hours and budget, writing nothing.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.content import template_variants, templates
from tools.context import ToolContext
from tools.profiles import reach_of
from tools.segments import audience_stats
from userops.dispatch.models import DispatchStep, MessageContent, PreflightReport, SendWindow
from userops.domain import CHANNELS, ContentType
from userops.errors import BadInput, ModelRetry
from userops.plan import CampaignPlan, ChannelRule, Objective, PlanStep


def send_values(language: str, objective: str) -> dict[str, str]:
    """Return the campaign-wide placeholder values (``brand``, ``offer``) filled at send."""
    t = templates(language)
    return {"brand": t["brand"], "offer": t["offers"].get(objective, t["offers"]["default"])}


def unit_hash(*parts: object) -> float:
    """Return a stable number in ``[0, 1)`` for ``parts`` (same input, same number)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class _UserHash:
    """``unit_hash(campaign, step, user, salt)`` for many users, hashing the prefix once."""

    def __init__(self, campaign_id: str, step_id: str, salt: str) -> None:
        self.base = hashlib.sha256(f"{campaign_id}|{step_id}|".encode())
        self.suffix = f"|{salt}"

    def __call__(self, user_id: int) -> float:
        h = self.base.copy()
        h.update(f"{user_id}{self.suffix}".encode())
        return int.from_bytes(h.digest()[:8], "big") / 2**64


class PreflightResult(BaseModel):
    """A built dispatch step and what the engine would do with it."""

    step: DispatchStep
    """The dispatch step (assignments, holdout, contents)."""
    report: PreflightReport
    """The engine's pre-flight report."""
    audience: int
    """Users in the step's segment (before holdout and reachability)."""
    unreachable: int
    """Users reachable on none of the step's channels (not assigned)."""


def _variant_index(variants: list[MessageContent]) -> dict[tuple[str, str, str], list[str]]:
    index: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for v in variants:
        index[(v.persona or "default", v.channel, v.language)].append(v.variant_id)
    return index


def send_fills(variants: list[MessageContent], objective: str) -> dict[str, dict[str, str]]:
    """The ``brand`` and ``offer`` values per language of the step's copy."""
    langs = sorted({v.language for v in variants if v.language in ("zh", "en")})
    return {lang: send_values(lang, objective) for lang in langs}


def _send_at(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(datetime.fromisoformat(value).timestamp())
    except ValueError as exc:
        raise BadInput.one("not an ISO timestamp", field="send_at", value=value) from exc


def build_dispatch_step(
    ctx: ToolContext,
    plan: CampaignPlan,
    step: PlanStep,
    *,
    campaign_id: str,
    user_ids: list[int] | None = None,
    send_window: tuple[str, str] | None = None,
) -> tuple[DispatchStep, int]:
    """Build the engine's dispatch step for ``step`` of ``plan``.

    Args:
        ctx: Injected services.
        plan: The plan (budget, language).
        step: The step to build.
        campaign_id: Campaign id (also the holdout hash salt).
        user_ids: The segment's users when already computed.
        send_window: The goal's local send window ``(start, end)``, enforced by the engine.

    Returns:
        The dispatch step and the number of users reachable on none of the step's channels.
    """
    ids = user_ids if user_ids is not None else ctx.segment_ids(step.segment)
    reach = reach_of(ctx, ids)
    index = _variant_index(step.variants)
    pairs = {(p, ch) for p, ch, _ in index}
    langs = {lang for _, _, lang in index}
    main_lang = plan.language if plan.language in langs or not langs else sorted(langs)[0]
    default_persona = "default" if any(p == "default" for p, _ in pairs) else None
    if default_persona is None and step.personas:
        default_persona = step.personas[0]
    arms = sorted(step.ab_split)
    assignments: list[tuple[int, str, str]] = []
    holdout: list[int] = []
    unreachable = 0
    in_holdout = _UserHash(campaign_id, step.step_id, "holdout")
    ab_slot = _UserHash(campaign_id, step.step_id, "ab")
    preferred = [(c, f",{c},") for c in step.channel_rule.preferred]
    allowed = set(step.channel_rule.preferred)
    for uid in ids:
        if in_holdout(uid) < step.holdout_share:
            holdout.append(uid)
            continue
        r = reach.get(uid)
        channel = r.channel if r and r.channel in allowed and r.reaches(r.channel) else None
        if channel is None:
            channel = next((c for c, needle in preferred if r and needle in r.raw), None)
        if channel is None:
            unreachable += 1
            continue
        persona = r.persona if r and (r.persona, channel) in pairs else default_persona
        lang = r.language if r and r.language in langs else main_lang
        choices = index.get((persona or "default", channel, lang)) or index.get(
            (persona or "default", channel, main_lang)
        )
        if not choices:
            unreachable += 1
            continue
        pick = choices[0]
        if len(choices) > 1:
            slot = int(ab_slot(uid) * len(choices))
            pick = choices[min(slot, len(choices) - 1)]
        assignments.append((uid, channel, pick))
    fallback = step.channel_rule.fallback
    return (
        DispatchStep(
            campaign_id=campaign_id,
            step_id=step.step_id,
            marketing=step.marketing,
            contents={v.variant_id: v for v in step.variants},
            assignments=assignments,
            holdout=holdout,
            budget=plan.budget,
            send_at_ts=_send_at(step.send_at),
            fallback=fallback,
            send_window=SendWindow(start=send_window[0], end=send_window[1])
            if send_window
            else None,
            metadata={
                **send_values(plan.language, plan.objective.value),
                "fill_by_language": send_fills(step.variants, plan.objective.value),
                "objective": plan.objective.value,
                "ab_arms": arms,
                "revision": plan.revision,
            },
        ),
        unreachable,
    )


def preflight_plan(
    ctx: ToolContext,
    plan: CampaignPlan,
    *,
    campaign_id: str = "preview",
    send_window: tuple[str, str] | None = None,
) -> PreflightResult:
    """Dry-run the plan's main step through the dispatch engine (nothing is sent or written).

    Args:
        ctx: Injected services.
        plan: The plan to check.
        campaign_id: Campaign id used for the deterministic holdout.
        send_window: The goal's local send window (deferrals counted as the engine would).

    Returns:
        The dispatch step, the engine's pre-flight report and audience counts.
    """
    step = plan.steps[0]
    ids = ctx.segment_ids(step.segment)
    built, unreachable = build_dispatch_step(
        ctx, plan, step, campaign_id=campaign_id, user_ids=ids, send_window=send_window
    )
    report = ctx.preflight(built)
    return PreflightResult(step=built, report=report, audience=len(ids), unreachable=unreachable)


class EstimateArgs(BaseModel):
    """Arguments of :func:`estimate_dispatch`."""

    segment: dict[str, Any]
    """Segment JSON: ``{"all": [...], "any": [...], "none": [...]}`` over catalog fields."""
    channels: list[str] = Field(min_length=1)
    """Channels in order of preference."""
    objective: Objective
    """Campaign objective (chooses the template content used for the estimate)."""
    language: Literal["zh", "en"] = "zh"
    """Content language."""
    budget: float | None = None
    """Spend cap to check against."""


def estimate_dispatch(ctx: ToolContext, args: EstimateArgs) -> dict[str, Any]:
    """Dry-run a send before proposing it: who would get a message, who not and why, the cost.

    Consent, do-not-contact, frequency caps, quiet hours and the budget are applied exactly as
    the dispatch engine will; nothing is sent or written.

    Args:
        ctx: Injected services.
        args: Segment, channels, objective, language and budget.

    Returns:
        Audience size, unreachable users, would-send, deferred, suppressed by reason, cost and
        messages per channel.
    """
    from userops.cdp.segments.service import parse_spec

    unknown = [c for c in args.channels if c not in CHANNELS]
    if unknown:
        # the model's own argument: it reads this in the tool's answer and tries again
        raise ModelRetry(f"channels={unknown!r}: unknown channel; known: {', '.join(CHANNELS)}")
    spec = parse_spec(args.segment, source="estimate_dispatch")
    ids = ctx.segment_ids(spec)
    known = {c.value for c in ContentType}
    personas = [p for p in audience_stats(ctx, ids).personas if p in known] or ["service"]
    step = PlanStep(
        segment=spec,
        channel_rule=ChannelRule(preferred=args.channels),
        personas=personas,
        variants=template_variants(args.language, args.objective.value, personas, args.channels),
    )
    plan = CampaignPlan(
        name="estimate",
        objective=args.objective,
        language=args.language,
        steps=[step],
        budget=args.budget,
    )
    res = preflight_plan(ctx, plan, campaign_id="estimate")
    return {
        "audience": res.audience,
        "unreachable": res.unreachable,
        **res.report.model_dump(exclude={"warnings"}),
    }

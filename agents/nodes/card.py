"""The approval card: plan, pre-flight, previews for sample users, findings, risk, diff.

The card travels in LangChain's human-in-the-loop shape (``action_requests`` /
``review_configs``) so that standard inbox clients can show it and answer with
``{"decisions": [...]}``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from userops.dispatch.clean import clean_value
from userops.dispatch.context import UserCtx
from userops.dispatch.evaluate import content_record
from userops.dispatch.gate import sample_recipients, send_values
from userops.dispatch.models import DispatchStep, PreflightReport
from userops.dispatch.outbox import idempotency_key
from userops.dispatch.render import BadContent, Template

ACTION = "dispatch_campaign_step"
ALLOWED = ["approve", "edit", "reject", "respond"]


def merge_preflights(reports: list[PreflightReport]) -> dict[str, Any]:
    """Sum pre-flight reports of the steps one approval covers."""
    out: dict[str, Any] = {
        "total": 0,
        "sent": 0,
        "deferred": 0,
        "suppressed": {},
        "holdout": 0,
        "cost": 0.0,
        "by_channel": {},
        "warnings": [],
    }
    for r in reports:
        out["total"] += r.total
        out["sent"] += r.would_send
        out["deferred"] += r.deferred
        out["holdout"] += r.holdout
        out["cost"] = round(out["cost"] + r.cost, 4)
        for k, v in r.suppressed.items():
            out["suppressed"][k] = out["suppressed"].get(k, 0) + v
        for k, v in r.by_channel.items():
            out["by_channel"][k] = out["by_channel"].get(k, 0) + v
        out["warnings"].extend(w for w in r.warnings if w not in out["warnings"])
    return out


def previews(
    engine: Engine, steps: list[DispatchStep], per_variant: int = 1
) -> list[dict[str, Any]]:
    """Render every variant for sample recipients exactly as the worker would send it.

    The values are the recipient's (canonical record's name, last product, the step's offer
    and brand) filled through the send path's :class:`Template`, so the cleaning an approver
    sees is the cleaning the recipient gets; ``{unsubscribe_url}`` is the recipient's own
    signed link (``USEROPS_PUBLIC_URL/unsubscribe/<token>``, the key their message will have).
    """
    samples: dict[str, list[int]] = {}
    for step in steps:
        for uid, _ch, vid in step.assignments:
            got = samples.setdefault(f"{step.step_id}/{vid}", [])
            if len(got) < per_variant:
                got.append(uid)
    canon, ctx, products = sample_recipients(
        engine, sorted({u for v in samples.values() for u in v})
    )
    out: list[dict[str, Any]] = []
    for step in steps:
        for vid, content in step.contents.items():
            for uid in samples.get(f"{step.step_id}/{vid}", []):
                u = ctx.get(canon.get(uid, -1)) or UserCtx(uid)
                out.append(_preview(step, vid, content, u, products.get(u.user_id)))
    return out


def _preview(
    step: DispatchStep, vid: str, content: Any, u: UserCtx, product: str | None
) -> dict[str, Any]:
    rec = content_record(step, content)
    tpl = Template(rec["content"])
    key = idempotency_key(step.campaign_id, step.step_id, u.user_id, content.channel)
    values = send_values(key, u.name, rec["fill"], product, tpl.needs)
    try:
        filled = tpl.fill(values, u.language)
    except BadContent:  # the pre-flight already suppressed this variant; show it unfilled
        filled = rec["content"]
    return {
        "step_id": step.step_id,
        "variant_id": vid,
        "channel": content.channel,
        "persona": content.persona,
        "sample_user": {"user_id": u.user_id, "name": clean_value("name", u.name, u.language)},
        "subject": filled.get("subject") or filled.get("title"),
        "body": filled.get("body"),
    }


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts/lists into ``a.b[0].c`` keys."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = value
    return out


def plan_diff(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the changed leaves between the plan shown last time and this one."""
    if previous is None:
        return []
    a, b = flatten(previous), flatten(current)
    keys = sorted(set(a) | set(b))
    return [
        {"path": k, "before": a.get(k), "after": b.get(k)}
        for k in keys
        if a.get(k) != b.get(k) and k != "revision"
    ]


def risk_tier(pre: dict[str, Any], findings: list[dict[str, Any]], escalated: bool) -> str:
    """``high`` when escalated, errors remain or the send is large; ``low`` when small and clean."""
    severities = {f.get("severity") for f in findings}
    reach = int(pre["sent"]) + int(pre["deferred"])
    if escalated or severities & {"error", "block"} or reach > 50_000:
        return "high"
    if "warn" in severities or reach > 1_000 or pre["warnings"]:
        return "medium"
    return "low"


def hitl_request(card: dict[str, Any]) -> dict[str, Any]:
    """Wrap the card in LangChain's HITL request shape."""
    pre = card["preflight"]
    plan = card["plan"]
    description = (
        f"{plan.get('name')} (revision {card['revision']}, step {card['step_id']}, "
        f"risk {card['risk_tier']}): send {pre['sent']}, defer {pre['deferred']}, "
        f"suppress {sum(pre['suppressed'].values())} {pre['suppressed']}, "
        f"holdout {pre['holdout']}, cost {pre['cost']}"
    )
    contract = card.get("contract")
    if contract:
        description += (
            f"; approves at most {contract['max_messages']} messages costing at most "
            f"{contract['max_cost']} (every step, fallback and comparison arm)"
        )
    return {
        "action_requests": [{"name": ACTION, "args": card, "description": description}],
        "review_configs": [{"action_name": ACTION, "allowed_decisions": list(ALLOWED)}],
    }

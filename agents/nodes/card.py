"""The approval card: plan, pre-flight, previews for sample users, findings, risk, diff.

The card travels in LangChain's human-in-the-loop shape (``action_requests`` /
``review_configs``) so that standard inbox clients can show it and answer with
``{"decisions": [...]}``.
"""

from __future__ import annotations

import re
from typing import Any, cast

from sqlalchemy import Engine, Table, select

from userops.dispatch.models import DispatchStep, PreflightReport
from userops.store.models import User

ACTION = "dispatch_campaign_step"
ALLOWED = ["approve", "edit", "reject", "respond"]
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


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


def _mask(name: str | None) -> str:
    if not name:
        return "***"
    return name[0] + "*" * max(1, len(name) - 1)


def render(text: str | None, user: dict[str, Any]) -> str | None:
    """Fill ``{placeholder}`` fields from ``user`` (unknown ones stay visible)."""
    if text is None:
        return None
    return _PLACEHOLDER.sub(lambda m: str(user.get(m.group(1), m.group(0))), text)


def previews(
    engine: Engine, steps: list[DispatchStep], per_variant: int = 1
) -> list[dict[str, Any]]:
    """Render every variant for sample recipients (names masked)."""
    samples: dict[str, list[int]] = {}
    for step in steps:
        for uid, _ch, vid in step.assignments:
            got = samples.setdefault(f"{step.step_id}/{vid}", [])
            if len(got) < per_variant:
                got.append(uid)
    ids = sorted({u for v in samples.values() for u in v})
    t = cast(Table, User.__table__)
    users: dict[int, dict[str, Any]] = {}
    if ids:
        with engine.connect() as conn:
            for r in conn.execute(
                select(t.c.id, t.c.name, t.c.region, t.c.language).where(t.c.id.in_(ids))
            ):
                users[r.id] = {"user_id": r.id, "name": _mask(r.name), "region": r.region or ""}
    out: list[dict[str, Any]] = []
    for step in steps:
        for vid, content in step.contents.items():
            for uid in samples.get(f"{step.step_id}/{vid}", []):
                u: dict[str, Any] = {
                    "unsubscribe_url": "https://u.userops.invalid/unsubscribe/…",
                    "last_product": "…",
                    **{k: str(step.metadata[k]) for k in ("offer", "brand") if k in step.metadata},
                    **users.get(uid, {"user_id": uid, "name": "***"}),
                }
                out.append(
                    {
                        "step_id": step.step_id,
                        "variant_id": vid,
                        "channel": content.channel,
                        "persona": content.persona,
                        "sample_user": {k: u[k] for k in ("user_id", "name") if k in u},
                        "subject": render(content.subject or content.title, u),
                        "body": render(content.body, u),
                    }
                )
    return out


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
    return {
        "action_requests": [{"name": ACTION, "args": card, "description": description}],
        "review_configs": [{"action_name": ACTION, "allowed_decisions": list(ALLOWED)}],
    }

"""An approval card arranged for a decision, and the edit form turned back into a plan.

The card (:class:`userops.approvals.card.ApprovalCard`) is the contract: this module only
arranges it (totals, suppressions by reason, steps by kind, previews by persona) and never
recomputes a number. The edit form changes a few fields of the card's plan (budget; per step
the channels, holdout share and audience limit; per variant the subject and text) and the
result is checked as ``/v1`` checks an edited plan.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from userops.domain import CHANNELS
from userops.errors import BadInput
from userops.text_limits import string_problem

EDITABLE_TEXT = ("subject", "title", "body", "script")
METRICS = ("conversion_rate", "click_rate", "open_rate", "reply_rate")
MAX_FIELD = 4000


def arrange(card: dict[str, Any]) -> dict[str, Any]:
    """The card's numbers and sections in the order an approver reads them."""
    plan = card.get("plan") or {}
    pre = card.get("preflight") or {}
    contract = card.get("contract") or {}
    suppressed = dict(sorted((pre.get("suppressed") or {}).items(), key=lambda kv: -kv[1]))
    steps = contract.get("steps") or []
    variants = {
        v.get("variant_id"): v for s in plan.get("steps") or [] for v in s.get("variants") or []
    }
    personas: dict[str, list[dict[str, Any]]] = {}
    for p in card.get("previews") or []:
        full = {**p, "content": variants.get(p.get("variant_id")) or {}}
        personas.setdefault(str(p.get("persona") or "—"), []).append(full)
    budget = plan.get("budget")
    max_cost = float(contract.get("max_cost") or 0.0)
    return {
        "name": plan.get("name") or card.get("campaign_id"),
        "plan": plan,
        "audience": int(card.get("audience_size") or 0),
        "treatment": int(pre.get("total") or 0),
        "sent": int(pre.get("sent") or 0),
        "deferred": int(pre.get("deferred") or 0),
        "holdout": int(pre.get("holdout") or 0),
        "cost": float(pre.get("cost") or 0.0),
        "suppressed": suppressed,
        "suppressed_total": sum(suppressed.values()),
        "by_channel": contract.get("by_channel") or [],
        "budget": budget,
        "max_cost": max_cost,
        "max_messages": int(contract.get("max_messages") or 0),
        "over_budget": budget is not None and max_cost > float(budget),
        "steps": steps,
        "fallbacks": [s for s in steps if s.get("kind") == "fallback"],
        "comparison": [s for s in steps if s.get("kind") == "comparison"],
        "plan_steps": plan.get("steps") or [],
        "understood": card.get("understood") or {},
        "findings": card.get("findings") or [],
        "warnings": pre.get("warnings") or [],
        "diff": card.get("diff") or [],
        "personas": personas,
        "has_contract": bool(contract),
    }


def _text(form: Mapping[str, str], key: str, current: Any) -> Any:
    if key not in form:
        return current
    value = form[key].replace("\r\n", "\n")
    problem = string_problem(value) if value else None
    if problem or len(value) > MAX_FIELD:
        raise BadInput.one(problem or f"longer than {MAX_FIELD} characters", field=key,
                           value=value[:40])  # fmt: skip
    return value if value or current is not None else current


def _number(form: Mapping[str, str], key: str, current: Any, *, integer: bool = False) -> Any:
    raw = (form.get(key) or "").strip()
    if key not in form:
        return current
    if not raw:
        return None
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise BadInput.one("not a number", field=key, value=raw[:40]) from None
    if value < 0 or value != value or value in (float("inf"), float("-inf")):
        raise BadInput.one("must be a number ≥ 0", field=key, value=raw[:40])
    return value


def apply_edit(
    plan: dict[str, Any], form: Mapping[str, str], channels: Mapping[str, list[str]]
) -> dict[str, Any]:
    """The card's ``plan`` with the edit form's fields applied (a new dict).

    Form keys: ``budget``; ``step.<i>.holdout`` (percent), ``step.<i>.limit``;
    ``variant.<i>.<j>.<field>`` for subject, title, body and script; ``channels`` maps
    ``step.<i>.channels`` to the channels ticked (none ticked keeps the step's).

    Raises:
        BadInput: a field is not a number, out of range, or holds text no store keeps.
    """
    out = copy.deepcopy(plan)
    out["budget"] = _number(form, "budget", out.get("budget"))
    for i, step in enumerate(out.get("steps") or []):
        share = _number(form, f"step.{i}.holdout", None)
        if share is not None:
            if share > 50:
                raise BadInput.one("at most 50%", field=f"step.{i}.holdout", value=share)
            step["holdout_share"] = round(share / 100, 4)
        limit = _number(form, f"step.{i}.limit", (step.get("segment") or {}).get("limit"),
                        integer=True)  # fmt: skip
        step.setdefault("segment", {})["limit"] = limit or None
        ticked = [c for c in channels.get(f"step.{i}.channels", []) if c in CHANNELS]
        if ticked:
            rule = step.setdefault("channel_rule", {})
            keep = [c for c in rule.get("preferred") or [] if c in ticked]
            rule["preferred"] = keep + [c for c in ticked if c not in keep]
        for j, variant in enumerate(step.get("variants") or []):
            for name in EDITABLE_TEXT:
                key = f"variant.{i}.{j}.{name}"
                if key in form:
                    variant[name] = _text(form, key, variant.get(name)) or None
    return out


def _objective(name: str, lang: str) -> str:
    from prompts.catalog import catalog

    return catalog(lang).get(f"goal.objective.{name}", name)


def understood_rows(u: Mapping[str, Any], lang: str, t: Any) -> list[tuple[str, str]]:
    """What was understood as ``(label, value)`` rows in the reader's language.

    Built from the card's structured ``understood`` fields (not its sentences, which are in
    the operator's language); a field the goal did not set is left out.
    """

    def ch(names: Any) -> str:
        return " → ".join(t(f"channel.{c}") if c in CHANNELS else str(c) for c in names or [])

    rows: list[tuple[str, str]] = []
    if u.get("objective"):
        rows.append((t("u.objective"), _objective(str(u["objective"]), lang)))
    if u.get("audience"):
        rows.append((t("u.audience"), "; ".join(str(a) for a in u["audience"])))
    if u.get("regions"):
        rows.append((t("u.regions"), ", ".join(str(r) for r in u["regions"])))
    if u.get("channels"):
        rows.append((t("u.channels"), ch(u["channel_order"] or u["channels"])))
    if u.get("channels_forbidden"):
        rows.append((t("u.not_channels"), ch(u["channels_forbidden"]).replace(" → ", ", ")))
    if u.get("fallback_channel"):
        hours = u.get("fallback_after_hours")
        rows.append((t("u.fallback"), t("u.fallback_value", channel=ch([u["fallback_channel"]]),
                                          hours=f"{hours:g}" if hours else "—")))  # fmt: skip
    if u.get("budget") is not None:
        rows.append((t("u.budget"), f"{float(u['budget']):,.2f}"))
    if u.get("max_recipients") is not None:
        rows.append((t("u.max_recipients"), f"{int(u['max_recipients']):,}"))
    if u.get("window"):
        rows.append((t("u.window"), str(u["window"])))
    if u.get("exclusions"):
        rows.append((t("u.exclusions"), ", ".join(str(x) for x in u["exclusions"])))
    if u.get("kpi"):
        kpi = str(u["kpi"])
        rows.append((t("u.kpi"), t(f"metric.{kpi}") if kpi in METRICS else kpi))
    for key in ("assumed", "not_understood"):
        if u.get(key):
            rows.append((t(f"u.{key}"), "; ".join(str(x) for x in u[key])))
    return rows

"""Scenario-specific graders: audience, size, channels, budget, window, language, content."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine

from evals.graders import Check
from evals.graders.facts import Facts
from evals.schema import Bounds, ChannelExpect, Expect
from userops.cdp.segments.spec import SegmentSpec

CJK = re.compile(r"[\u3400-\u9fff]")
PHONE = re.compile(r"(?<![\w.])(?:\+?86[- ]?)?1[3-9]\d{9}(?!\w)|(?<!\w)\+\d{10,14}(?!\w)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def _texts(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return [str(payload or "")]
    keys = ("subject", "title", "body", "text", "script", "content")
    out = [str(payload[k]) for k in keys if isinstance(payload.get(k), str)]
    for v in (payload.get("template_fields") or payload.get("data") or {}).values():
        out.append(str(v))
    return out


def _copy(text: str) -> str:
    """The message copy without the unsubscribe footer the dispatcher appends."""
    return re.split(r"\n\n(?:Don't want|不想|退订|Reply TD|回复TD)", text)[0]


def check_audience(engine: Engine, facts: Facts, audience: SegmentSpec) -> Check:
    """Every recipient satisfies ``audience`` (evaluated on the store)."""
    from userops.cdp.segments.service import segment_user_ids

    allowed = set(segment_user_ids(engine, audience))
    bad = sorted({int(r["user_id"]) for r in facts.sent} - allowed)
    return Check(
        "audience",
        not bad,
        f"{len(bad)} recipient(s) outside the expected audience" if bad else "all in audience",
        count=len(bad),
        detail={"examples": bad[:5], "audience_size": len(allowed)},
    )


def check_audience_size(facts: Facts, bounds: Bounds) -> Check:
    """The main step's audience (treatment + holdout) is within the bounds."""
    first = facts.campaigns[0] if facts.campaigns else None
    n = len(
        {
            m["user_id"]
            for m in facts.members
            if m["campaign_id"] == first and m["step_id"] in ("s1", "s1" + "b")
        }
    )
    lo, hi = bounds.min, bounds.max
    ok = (lo is None or n >= lo) and (hi is None or n <= hi)
    return Check("audience_size", ok, f"main-step audience {n}, expected [{lo}, {hi}]", count=n)


def check_channels(facts: Facts, channels: ChannelExpect) -> Check:
    """Sends only on allowed channels, never on forbidden ones."""
    used = {str(r["channel"]) for r in facts.sent}
    only, never = set(channels.only), set(channels.never)
    bad = sorted((used - only if only else set()) | (used & never))
    return Check(
        "channels",
        not bad,
        f"sent on {bad} (only={sorted(only)}, never={sorted(never)})"
        if bad
        else f"used {sorted(used)}",
        count=len(bad),
    )


def check_budget(facts: Facts, budget_max: float) -> Check:
    """Total cost of sent messages within ``budget_max``."""
    cost = round(sum(float(r["cost"] or 0) for r in facts.sent), 4)
    ok = cost <= budget_max + 1e-6
    return Check("budget", ok, f"spent {cost} of {budget_max}", detail={"cost": cost})


def check_language(facts: Facts, language: str) -> Check:
    """Every delivered message's copy is in ``language`` (CJK share of letters)."""
    bad = []
    for d in facts.deliveries:
        text = _copy(" ".join(_texts(d["payload"])))
        letters = [c for c in text if c.isalpha()]
        cjk = sum(1 for c in letters if CJK.match(c))
        share = cjk / len(letters) if letters else 0.0
        if (language == "zh" and share < 0.3) or (language == "en" and share > 0.1):
            bad.append({"user_id": d["user_id"], "cjk_share": round(share, 2), "text": text[:80]})
    return Check(
        "language",
        not bad,
        f"{len(bad)} message(s) not in {language}" if bad else f"all copy in {language}",
        count=len(bad),
        detail={"examples": bad[:3]},
    )


def check_content(facts: Facts, excludes: list[str]) -> Check:
    """No phone number or e-mail address in the copy, and none of ``excludes``."""
    bad = []
    lowered = [e.lower() for e in excludes]
    for d in facts.deliveries:
        text = _copy(" ".join(_texts(d["payload"])))
        hits = PHONE.findall(text) + EMAIL.findall(text)
        hits += [e for e in lowered if e in text.lower()]
        if hits:
            bad.append({"user_id": d["user_id"], "found": hits[:3], "text": text[:80]})
    return Check(
        "content",
        not bad,
        f"{len(bad)} message(s) carry contact data or excluded text" if bad else "copy clean",
        count=len(bad),
        detail={"examples": bad[:3]},
    )


def check_sends(facts: Facts, expect: Expect) -> Check:
    """Messages went out (``some``) or none did (``none``)."""
    n = len(facts.sent)
    ok = n > 0 if expect.sends == "some" else n == 0
    return Check("sends", ok, f"{n} sent, expected {expect.sends}", count=n)


def check_campaigns(facts: Facts, bounds: Bounds) -> Check:
    """Number of campaigns of the thread that sent messages (follow-up iterations)."""
    n = len({r["campaign_id"] for r in facts.sent})
    lo, hi = bounds.min, bounds.max
    ok = (lo is None or n >= lo) and (hi is None or n <= hi)
    return Check("campaigns", ok, f"{n} campaign(s) sent, expected [{lo}, {hi}]", count=n)


def check_human_approval(facts: Facts) -> Check:
    """Each step that sent was approved by a person (not auto-approved by the policy)."""
    from evals.graders.policy import base_step

    human = {
        (a["campaign_id"], a["step_id"])
        for a in facts.approvals
        if a["status"] == "approved" and a["decided_by"] not in (None, "policy", "system")
    }
    steps = {(r["campaign_id"], base_step(r["step_id"])) for r in facts.sent}
    bad = sorted(f"{c}/{s}" for c, s in steps - human)
    return Check(
        "approval_required",
        not bad,
        f"steps sent without a person's approval: {bad}" if bad else "approved by a person",
        count=len(bad),
    )

"""Graders for issue 14's classes: each recipient's language, the channel order and fallback."""

from __future__ import annotations

from evals.graders import Check
from evals.graders.expect import CJK, _copy, _texts
from evals.graders.facts import Facts
from evals.schema import FallbackExpect


def _cjk_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(1 for c in letters if CJK.match(c)) / len(letters) if letters else 0.0


def check_recipient_language(facts: Facts) -> Check:
    """Every delivered copy is in its recipient's profile language (``zh`` or ``en``)."""
    bad = []
    for d in facts.deliveries:
        own = (facts.users.get(int(d["user_id"])) or {}).get("language")
        if own not in ("zh", "en"):
            continue
        text = _copy(" ".join(_texts(d["payload"])))
        share = _cjk_share(text)
        if (own == "zh" and share < 0.3) or (own == "en" and share > 0.1):
            bad.append({"user_id": d["user_id"], "language": own, "text": text[:80]})
    seen = sorted(
        {str((facts.users.get(int(d["user_id"])) or {}).get("language")) for d in facts.deliveries}
    )
    return Check(
        "recipient_language",
        not bad,
        f"{len(bad)} message(s) not in the recipient's language"
        if bad
        else f"every copy in its recipient's language ({', '.join(seen)})",
        count=len(bad),
        detail={"examples": bad[:3]},
    )


def check_fallback(facts: Facts, fb: FallbackExpect) -> Check:
    """First sends only on ``first``; fallback sends only on ``channel``, after the wait."""
    problems: list[str] = []
    first_ts: dict[tuple[str, int], int] = {}
    for r in facts.sent:
        if not str(r["step_id"]).endswith("-fb"):
            key = (str(r["campaign_id"]), int(r["user_id"]))
            first_ts[key] = min(first_ts.get(key, int(r["sent_ts"])), int(r["sent_ts"]))
            if fb.first and r["channel"] not in fb.first:
                problems.append(f"first send on {r['channel']}")
    fallbacks = [r for r in facts.sent if str(r["step_id"]).endswith("-fb")]
    for r in fallbacks:
        if r["channel"] != fb.channel:
            problems.append(f"fallback on {r['channel']}")
        start = first_ts.get((str(r["campaign_id"]), int(r["user_id"])))
        if fb.after_hours is not None and start is not None:
            waited = (int(r["sent_ts"]) - start) / 3600
            if waited + 1e-6 < fb.after_hours:
                problems.append(f"fallback after {waited:.1f} h")
    if len(fallbacks) < fb.min_sent:
        problems.append(f"{len(fallbacks)} fallback(s) sent, expected at least {fb.min_sent}")
    return Check(
        "fallback",
        not problems,
        "; ".join(sorted(set(problems))[:5])
        if problems
        else f"{len(fallbacks)} fallback(s) on {fb.channel}, first sends on {fb.first or 'any'}",
        count=len(problems),
    )

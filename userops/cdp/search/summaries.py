"""Short natural-language profile summaries, one per canonical user, in the user's language.

A summary is rendered from a template out of the trait row and the *topics* of the user's
recent feedback, surveys and tickets (``properties.topic``, a closed vocabulary). Raw feedback
text is never copied: it is untrusted (prompt injection, contact data). Free-form trait tokens
(interests, region) pass a whitelist, and the finished text is scanned by
:func:`userops.privacy.redact` as a last line of defence, so no phone number, email or openid
can reach a summary. ``summary_hash`` is the SHA-1 of the text; the search index re-embeds only
rows whose ``summary_hash`` differs from ``indexed_hash``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, bindparam, func, select, update

from userops.cdp.search.summary_vocab import EN as _EN
from userops.cdp.search.summary_vocab import ZH as _ZH
from userops.privacy import redact
from userops.store.models import Event, Trait, User

FEEDBACK_TYPES = ("feedback", "survey", "ticket")
TOPICS = ("delivery", "price", "usability", "praise", "other")
RECENT_DAYS = 90
_BATCH = 5000
_TOKEN = re.compile(r"^[A-Za-z\u4e00-\u9fff][\w\u4e00-\u9fff &/-]{0,31}$")


def _level(value: float | None, lo: float, hi: float) -> str:
    v = 0.0 if value is None else value
    return "high" if v >= hi else "low" if v < lo else "mid"


def _recency(days: int | None) -> str:
    """A recency bucket: stable from day to day, so daily rebuilds re-index few profiles."""
    if days is None:
        return "never"
    for limit, name in ((7, "week"), (30, "month"), (90, "quarter"), (180, "half"), (365, "year")):
        if days <= limit:
            return name
    return "older"


def _tokens(csv: str | None) -> list[str]:
    """Whitelisted tokens of a ``,a,b,`` list: no digits runs, no ``@``, no odd characters."""
    out = []
    for raw in (csv or "").split(","):
        tok = raw.strip()
        if tok and _TOKEN.match(tok) and sum(c.isdigit() for c in tok) < 4:
            out.append(tok)
    return out


def _say(table: Mapping[str, str], key: str | None) -> str | None:
    if not key:
        return None
    return table.get(key) or (key.replace("_", " ") if _TOKEN.match(key) else None)


def render_summary(row: Mapping[str, Any], topics: Mapping[str, int], language: str) -> str:
    """Render the summary of one trait row (``zh`` users get Chinese, anyone else English).

    ``topics`` counts the user's recent feedback topics; unknown topics are ignored.
    """
    zh = language.lower().startswith("zh")
    v = _ZH if zh else _EN
    sep = "、" if zh else ", "
    interests = [_say(v["interest"], t) for t in _tokens(row.get("interests"))]
    channels = [_say(v["channel"], t) for t in _tokens(row.get("reachable_channels"))]
    tops = [v["topic"][t] for t, _ in Counter(topics).most_common() if t in v["topic"]]
    risk = v["level"][_level(row.get("churn_risk"), 0.3, 0.6)]
    price = v["price"][_level(row.get("price_sensitivity"), 0.34, 0.67)]
    stage = _say(v["stage"], row.get("lifecycle_stage")) or ""
    ltv = _say(v["ltv"], row.get("ltv_tier")) or ""
    rfm = _say(v["rfm"], row.get("rfm_segment")) or ""
    aff = _say(v["affinity"], row.get("content_affinity"))
    days = row.get("days_since_last_order")
    n90, total = int(row.get("orders_90d") or 0), int(row.get("orders_total") or 0)
    aov, sat = float(row.get("aov") or 0.0), row.get("satisfaction")
    region = row.get("region") if _TOKEN.match(str(row.get("region") or "")) else None
    intent = _say({}, row.get("last_call_intent"))
    call_tags = [_say({}, t) for t in _tokens(row.get("call_tags"))]
    calls = sep.join(t for t in call_tags if t)
    parts: list[str]
    if zh:
        parts = [f"{stage}，{ltv}，RFM分群：{rfm}。"]
        parts.append(f"兴趣：{sep.join(i for i in interests if i)}。" if interests else "")
        parts.append(f"偏好内容：{aff}。" if aff else "")
        parts.append(f"{price}，流失风险{risk}。")
        parts.append(f"{v['recency'][_recency(days)]}。")
        if days is not None:
            parts.append(f"近90天下单{n90}次，累计{total}次，客单价约{aov:.0f}元。")
        parts.append(f"可触达渠道：{sep.join(c for c in channels if c)}。" if channels else "")
        parts.append(f"近期反馈：{sep.join(tops)}。" if tops else "")
        parts.append(f"满意度{sat:.1f}/5。" if sat is not None else "")
        parts.append(f"地区：{region}。" if region else "")
        parts.append(f"最近通话意向：{intent}。" if intent else "")
        parts.append(f"通话标签：{calls}。" if calls else "")
    else:
        parts = [f"{stage}, {ltv}, RFM segment: {rfm}."]
        parts.append(f" Interests: {sep.join(i for i in interests if i)}." if interests else "")
        parts.append(f" Prefers {aff}." if aff else "")
        parts.append(f" {price.capitalize()}; {risk} churn risk.")
        parts.append(f" {v['recency'][_recency(days)]}.")
        if days is not None:
            parts.append(
                f" {n90} orders in 90 days, {total} in total; average order value about {aov:.0f}."
            )
        parts.append(f" Reachable by {sep.join(c for c in channels if c)}." if channels else "")
        parts.append(f" Recent feedback: {sep.join(tops)}." if tops else "")
        parts.append(f" Satisfaction {sat:.1f}/5." if sat is not None else "")
        parts.append(f" Region: {region}." if region else "")
        parts.append(f" Last call intent: {intent}." if intent else "")
        parts.append(f" Call tags: {calls}." if calls else "")
    return redact("".join(parts))


def summary_hash(text: str) -> str:
    """Return the SHA-1 hex digest of a summary (what ``indexed_hash`` is compared with)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def recent_topics(engine: Engine, since_ts: int) -> dict[int, Counter[str]]:
    """Count feedback/survey/ticket topics per canonical user since ``since_ts``."""
    canon = func.coalesce(User.merged_into, User.id)
    topic = Event.properties["topic"].as_string()
    stmt = (
        select(canon, topic, func.count())
        .select_from(Event)
        .join(User, User.id == Event.user_id)
        .where(Event.type.in_(FEEDBACK_TYPES), Event.ts >= since_ts)
        .group_by(canon, topic)
    )
    out: dict[int, Counter[str]] = defaultdict(Counter)
    with engine.connect() as conn:
        for uid, top, n in conn.execute(stmt):
            if top in TOPICS:
                out[int(uid)][top] += int(n)
    return out


_COLS = [c for c in Trait.__table__.columns if c.name not in ("indexed_hash",)]


def build_summaries(engine: Engine) -> int:
    """Render every trait row's summary; write only those that changed. Return that count."""
    with engine.connect() as conn:
        as_of = conn.execute(select(func.max(Trait.as_of_ts))).scalar()
    if as_of is None:
        return 0
    topics = recent_topics(engine, int(as_of) - RECENT_DAYS * 86400)
    stmt = update(Trait).where(Trait.user_id == bindparam("uid"))
    stmt = stmt.values(summary=bindparam("s"), summary_hash=bindparam("h"))
    changed, last = 0, -1
    while True:
        with engine.begin() as conn:
            rows = conn.execute(
                select(*_COLS).where(Trait.user_id > last).order_by(Trait.user_id).limit(_BATCH)
            ).mappings()
            seen, batch = 0, []
            for row in rows:
                seen, last = seen + 1, row["user_id"]
                text = render_summary(dict(row), topics.get(last, Counter()), row["language"] or "")
                digest = summary_hash(text)
                if digest != row["summary_hash"]:
                    batch.append({"uid": last, "s": text, "h": digest})
            if batch:
                conn.execute(stmt, batch)
        changed += len(batch)
        if seen < _BATCH:
            return changed

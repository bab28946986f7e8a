"""Audience extraction for the goal parser.

Recency, signup age, value tier, lifecycle, interests, spend, price sensitivity, satisfaction
and feedback topics become a :class:`SegmentSpec` every recipient must satisfy.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agents import lexicon as lx
from agents.goal_extract import Scan, number
from userops.cdp.segment_spec import EventPredicate, SegmentSpec, TraitOp, TraitPredicate

Pred = TraitPredicate | EventPredicate
Add = Callable[..., None]

_NOT_ORDERED = (
    r"(?:最近|近|过去|超过|已经?)?\s*(\d+)\s*(?:天|日)\s*(?:内|以来)?\s*(?:都)?(?:没有?|未|无)\s*"
    r"(?:下单|购买|下过单|买过?|消费|复购)"
    r"|(?:not|haven't|hasn't|have not|has not|no|without an?)\s+(?:ordered|purchased|bought"
    r"|placed an order|orders?|purchases?)(?:\s+anything)?\s+(?:in|for|within)\s+(?:the\s+"
    r"(?:last|past)\s+)?(\d+)\s+days"
)
_ORDERED = (
    r"(?:最近|近|过去)\s*(\d+)\s*天\s*(?:内|以来)?\s*(?:下过单|有下单|下单|购买过|买过|有购买)"
    r"|(?:ordered|purchased|bought)\s+(?:in|within)\s+(?:the\s+(?:last|past)\s+)?(\d+)\s+days"
)
_SIGNUP = (
    r"(?:新)?注册\s*(\d+)\s*天\s*(?:内|以内)?"
    r"|(?:signed up|registered|joined)\s+(?:in|within)\s+(?:the\s+(?:last|past)\s+)?(\d+)\s+days"
)
_NO_ORDER_YET = (
    r"还?(?:没有?|未)(?:下过?单|购买过?)|尚未下单|never (?:ordered|purchased)"
    r"|(?:haven't|have not|not yet) (?:placed|made) (?:a|their) first (?:order|purchase)"
    r"|no orders yet"
)
_SPEND = (
    r"消费(?:超过|大于|高于|满|过)\s*[¥￥]?(\d[\d,]*(?:\.\d+)?)\s*(万|千)?"
    r"|spent (?:over|more than|at least)\s*[¥￥$]?(\d[\d,]*(?:\.\d+)?)\s*(k|thousand)?"
)
_COMPLAINT = r"投诉|反馈|差评|抱怨|问题|不满|complain|feedback|late|delay|problem|issue|unhappy"


def extract_audience(scan: Scan) -> tuple[SegmentSpec, list[str]]:
    """Return the audience the goal names and the human-readable hints understood."""
    preds: list[Pred] = []
    hints: list[str] = []

    def add(field: str, op: TraitOp, value: object, hint: str | None = None) -> None:
        preds.append(TraitPredicate(field=field, op=op, value=value))
        hints.append(hint or f"{field}{op}{value}")

    m = scan.find(_SIGNUP)
    if m:
        add("days_since_signup", "<=", int(m.group(1) or m.group(2)))
    if scan.find(_NO_ORDER_YET) and (m or scan.find(r"新用户|新客|new (users?|customers?)")):
        add("orders_total", "=", 0)
    elif m is None:
        _recency(scan, add)
    _tiers(scan, preds, hints, add)
    preds += _interests(scan, hints)
    m = scan.find(_SPEND)
    if m:
        value = number(m.group(1) or m.group(3), m.group(2) or m.group(4))
        add("monetary_365d", ">=", value)
    if scan.find(r"价格敏感|对价格敏感|price[- ]sensitive|bargain hunters"):
        add("price_sensitivity", ">=", 0.6)
    if scan.find(
        r"满意度低|不满意|差评|低评分|unhappy|dissatisfied|low (satisfaction|rating)"
        r"|(satisfaction|rating) (is )?low"
    ):
        add("satisfaction", "<=", 2.5)
    any_ = _topics(scan, hints)
    if scan.find(r"(购买|下单|买)(后|之后)|after (their |a )?(purchase|order)|recent buyers"):
        add("days_since_last_order", "<=", 30, "ordered in the last 30 days")
    return SegmentSpec.model_validate({"all": preds, "any": any_}), hints


def _recency(scan: Scan, add: Add) -> None:
    m = scan.find(_NOT_ORDERED)
    if m:
        add("days_since_last_order", ">=", int(m.group(1) or m.group(2)))
        return
    m = scan.find(_ORDERED)
    if m:
        add("days_since_last_order", "<=", int(m.group(1) or m.group(2)))


def _tiers(scan: Scan, preds: list[Pred], hints: list[str], add: Add) -> None:
    recency = any(getattr(p, "field", "") == "days_since_last_order" for p in preds)
    for field, table in (("ltv_tier", lx.LTV_WORDS), ("lifecycle_stage", lx.LIFECYCLE_WORDS)):
        values = [v for v, pattern in table if scan.find(pattern)]
        if field == "lifecycle_stage" and recency and values == ["churn_risk"]:
            hints.append("churn risk (covered by recency)")
            continue
        if (
            field == "lifecycle_stage"
            and values == ["new"]
            and any(getattr(p, "field", "") == "days_since_signup" for p in preds)
        ):
            hints.append("new users (covered by signup age)")
            continue
        if values:
            add(field, "in", values, f"{field} in {values}")


def _topics(scan: Scan, hints: list[str]) -> list[Pred]:
    if not re.search(_COMPLAINT, scan.text, re.I):
        return []
    any_: list[Pred] = []
    for topic, pattern in lx.TOPIC_WORDS:
        if scan.find(pattern):
            for event in ("feedback", "ticket", "survey"):
                any_.append(EventPredicate(event=event, where={"topic": topic}, within_days=90))
            hints.append(f"feedback topic={topic}")
    return any_


def _interests(scan: Scan, hints: list[str]) -> list[Pred]:
    found: list[str] = []
    m = scan.find(
        r"对\s*(\S{1,6}?)\s*(?:感兴趣|有兴趣)|喜欢\s*(\S{1,4}?)的|interested in ([a-z][a-z-]*)"
    )
    if m:
        word = (m.group(1) or m.group(2) or m.group(3) or "").strip()
        found.append(lx.INTEREST_ZH.get(word, word.lower()))
    for zh, en in lx.INTEREST_ZH.items():
        if en not in found and scan.find(re.escape(zh) + r"(?:类|爱好者|用户|品类)"):
            found.append(en)
    if not found:
        return []
    hints.append(f"interests contain {found}")
    return [TraitPredicate(field="interests", op="in", value=found)]

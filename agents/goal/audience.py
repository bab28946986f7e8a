"""Audience extraction for the goal parser.

Recency, frequency, signup age and spend (:mod:`agents.goal.recency`), value tier, lifecycle
and loyalty (negated ones: ``不是VIP``, ``non-VIP`` → ``not_in``), interests, language, price
sensitivity, satisfaction, feedback topics and places (:mod:`agents.goal.places`) become a
:class:`SegmentSpec` every recipient must satisfy. Audience words with no trait behind them
(gender, age, birthday, logins) become questions.
"""

from __future__ import annotations

import re

from agents.goal import lexicon as lx
from agents.goal import words as gw
from agents.goal.extract import Scan
from agents.goal.numbers import DUR, to_days
from agents.goal.places import extract_regions, region_predicates
from agents.goal.recency import extract_recency, extract_spend
from userops.cdp.segments.spec import EventPredicate, SegmentSpec, TraitOp, TraitPredicate

Pred = TraitPredicate | EventPredicate

_NO_ORDER_YET = (
    r"还?(?:没有?|未)(?:下过?单|购买过?|买过)|尚未下单|从未下过?单|从没(?:下过?单|买过)"
    r"|never (?:ordered|purchased|placed an order|bought)"
    r"|(?:haven't|have not|not yet) (?:placed|made) (?:a|their) first (?:order|purchase)"
    r"|no orders yet"
)
_COMPLAINT = r"投诉|反馈|差评|抱怨|问题|不满|complain|feedback|late|delay|problem|issue|unhappy"
_TOPIC_WINDOW = (
    rf"(?:in|within)\s+(?:the\s+)?(?:last|past)\s+(?P<d>{DUR})"
    rf"|(?:近|最近|过去)\s*(?P<e>{DUR})\s*(?:内)?\s*(?:投诉|反馈|差评)"
)
_NEG_TIER = re.compile(r"(?:不是|并非|非|不属于|\bnot\s|\bnon-?|\bexcluding\s|\bexcept\s)$", re.I)


class _Audience:
    def __init__(self) -> None:
        self.preds: list[Pred] = []
        self.hints: list[str] = []

    def add(self, field: str, op: TraitOp, value: object, hint: str | None = None) -> None:
        self.preds.append(TraitPredicate(field=field, op=op, value=value))
        self.hints.append(hint or f"{field}{op}{value}")

    def has(self, field: str) -> bool:
        return any(getattr(p, "field", "") == field for p in self.preds)


_CONTACTED_RECENTLY = (
    r"(?:这周|本周|这一周|这星期|最近一周|近一周|近7天|最近7天|7天内)[^，。,；;]{0,8}?"
    r"(?:发过|收到过|联系过|触达过|打扰过|推送过)[^，。,；;]{0,10}?(?:别|不要|排除|去掉|除外|不再)"
    r"|\b(?:exclude|excluding|leave out|skip|not|except|minus|without)\b[^,.;]{0,24}?"
    r"\b(?:messaged|contacted|emailed|texted|reached|pinged)\b[^,.;]{0,12}?"
    r"(?:this week|in the (?:past|last) (?:7 days|week))"
)
"""Leave out people already messaged this week: ``contacts_7d = 0``."""
_RATING = (
    r"(?:满意度|评分|打分)\s*(?:在)?\s*(?P<n>[1-4](?:\.5)?)\s*分\s*(?:及|或)?以下"
    r"|(?:满意度|评分|打分)\s*(?:低于|小于|不到)\s*(?P<n2>[1-5](?:\.5)?)\s*分"
    r"|rated\s+(?:us\s+)?(?P<n3>[1-4](?:\.5)?)\s*(?:stars?\s*)?(?:or|and)\s+(?:below|lower|less|under)"
)
"""A stated rating: ``满意度2分及以下`` (<= 2), ``低于3分`` (< 3), ``rated us 2 or below``."""


def extract_audience(scan: Scan, lang: str = "zh") -> tuple[SegmentSpec, list[str], list[str]]:
    """Return the audience the goal names, the hints understood and the place keys."""
    a = _Audience()
    events: list[EventPredicate] = []
    if scan.find(_CONTACTED_RECENTLY):  # before recency: "past 7 days" is not an order window
        a.add("contacts_7d", "=", 0, "not messaged in the last 7 days")
    extract_recency(scan, a.add, events)
    for e in events:
        a.preds.append(e)
        a.hints.append(f"{e.count.op}{e.count.value} orders in {e.within_days} days")
    if not a.has("orders_total") and scan.find_free(_NO_ORDER_YET):
        a.add("orders_total", "=", 0)
    _tiers(scan, a)
    a.preds += _interests(scan, a.hints)
    extract_spend(scan, a.add, lang)
    if scan.find(r"价格敏感|对价格敏感|price[- ]sensitive|bargain hunters"):
        a.add("price_sensitivity", ">=", 0.6)
    if m := scan.find(_RATING):
        rating = float(m.group("n") or m.group("n2") or m.group("n3"))
        a.add("satisfaction", "<" if m.group("n2") else "<=", rating)
    elif scan.find(
        r"满意度低|不满意|差评|低评分|unhappy|dissatisfied|low[- ](satisfaction|rating)"
        r"|(satisfaction|rating) (is )?low"
    ):
        a.add("satisfaction", "<=", 2.5)
    for value, pattern in lx.LANGUAGE_WORDS:
        if scan.find(pattern):
            a.add("language", "=", value)
    any_ = _topics(scan, a.hints)
    if not a.has("days_since_last_order") and scan.find_free(
        r"(购买|下单|买)(后|之后)|after (their |a )?(purchase|order)|recent buyers"
    ):
        a.add("days_since_last_order", "<=", 30, "ordered in the last 30 days")
    regions, where = extract_regions(scan, lang)
    places = region_predicates(regions)
    if places and any_:  # "any" already holds the feedback topics: cannot OR the places too
        scan.ask("region", where[0], where[1], gw.ASK["region_and_topic"][lang])
        regions = []
    elif places:
        any_ = list(places)
        a.hints.append("region in " + "/".join(regions))
    for m in re.finditer(gw.UNMAPPED_AUDIENCE, scan.text, re.I):
        if not scan.covered(m.start(), m.end()):
            scan.ask("audience", m.start(), m.end(), gw.ASK["audience"][lang])
    return SegmentSpec.model_validate({"all": a.preds, "any": any_}), a.hints, regions


def _tiers(scan: Scan, a: _Audience) -> None:
    recency = any(  # "X days without an order" covers churn risk; "bought lately" does not
        getattr(p, "field", "") == "days_since_last_order" and getattr(p, "op", "") == ">="
        for p in a.preds
    )
    tables = (
        ("ltv_tier", lx.LTV_WORDS),
        ("lifecycle_stage", lx.LIFECYCLE_WORDS),
        ("rfm_segment", [("champions,loyal", lx.RFM_WORDS)]),
    )
    for field, table in tables:
        values: dict[str, list[str]] = {"in": [], "not_in": []}
        for value, pattern in table:
            for m in scan.find_all(pattern):
                neg = _NEG_TIER.search(scan.text, max(0, m.start() - 10), m.start())
                bucket = values["not_in" if neg else "in"]
                bucket += [v for v in value.split(",") if v not in bucket]
        if field == "lifecycle_stage" and recency and values["in"] == ["churn_risk"]:
            a.hints.append("churn risk (covered by recency)")
            values["in"] = []
        if field == "lifecycle_stage" and values["in"] == ["new"] and a.has("days_since_signup"):
            a.hints.append("new users (covered by signup age)")
            values["in"] = []
        for op in ("in", "not_in"):
            if values[op]:
                a.add(field, op, values[op], f"{field} {op} {values[op]}")


def _topics(scan: Scan, hints: list[str]) -> list[Pred]:
    if not re.search(_COMPLAINT, scan.text, re.I):
        return []
    window = 90
    m = re.search(_TOPIC_WINDOW, scan.text, re.I)
    if m and not scan.covered(m.start(), m.end()):
        phrase = m.group("d") or m.group("e")
        window = to_days(phrase) or window
        scan.spans.append((m.start(), m.end()))
    any_: list[Pred] = []
    for topic, pattern in lx.TOPIC_WORDS:
        if scan.find(pattern):
            for event in ("feedback", "ticket", "survey"):
                any_.append(EventPredicate(event=event, where={"topic": topic}, within_days=window))
            hints.append(f"feedback topic={topic}")
    return any_


def _interests(scan: Scan, hints: list[str]) -> list[Pred]:
    found: list[str] = []
    m = scan.find(
        r"对\s*(\S{1,6}?)\s*(?:感兴趣|有兴趣)|喜欢\s*(\S{1,4}?)(?:的|、)"
        r"|interested in ([a-z][a-z-]*)"
    )
    if m:
        word = (m.group(1) or m.group(2) or m.group(3) or "").strip()
        found.append(lx.INTEREST_ZH.get(word, word.lower()))
    for m in scan.find_all(lx.INTEREST_EN):
        value = m.group(1).lower()
        value = "pet" if value == "pets" else value  # the interest code (seed_corpus)
        if value not in found:
            found.append(value)
    for zh, en in lx.INTEREST_ZH.items():
        if en not in found and scan.find(re.escape(zh) + r"(?:类|爱好者|用户|品类)"):
            found.append(en)
    if not found:
        return []
    hints.append(f"interests contain {found}")
    return [TraitPredicate(field="interests", op="in", value=found)]

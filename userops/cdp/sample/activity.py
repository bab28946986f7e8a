"""Browsing sessions and feedback of the sample population.

Sessions arrive at a per-person rate (higher for frequent buyers) between signup and the
time the person drifts away; each opens the app or mini-program (or is a store visit) and
views pages whose category follows the person's favourites and whose content type follows
the persona (tutorial readers read guides, offer hunters browse deals). Feedback, surveys and
tickets carry untrusted text; ``INJECTION_RATE`` of them contain a prompt-injection attempt.
"""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np

from userops.cdp.sample.corpus import (
    CATALOG,
    CATEGORIES,
    FEEDBACK,
    INJECTION_RATE,
    INJECTION_TEXTS_EN,
    INJECTION_TEXTS_ZH,
    PAGES,
    RATINGS,
    TOPICS,
)
from userops.cdp.sample.events import EventBlock, concat, pick_records, type_code
from userops.cdp.sample.np import I64, OBJ
from userops.cdp.sample.orders import Orders
from userops.cdp.sample.people import CONTENT, SOURCES, Persons
from userops.cdp.sample.records import Records
from userops.cdp.sample.time import ORDER_HOURS, Calendar, stamp

PAGE_VARIANTS = 3
SESSION_RATE = 0.0045
"""Mean browsing sessions per (operational) day of a person who never buys."""
OPEN_TYPE = {"app": "app_open", "web": "", "miniprogram": "miniprogram_open",
             "wechat": "miniprogram_open", "store": "visit"}  # fmt: skip
"""The event that starts a session on a record of each source ('' = pages only)."""


@lru_cache(maxsize=1)
def page_props() -> OBJ:
    """JSON properties of every page, indexed ``(category * 4 + content) * variants + v``."""
    out = []
    for cat in CATEGORIES:
        for ct in CONTENT:
            for v in range(PAGE_VARIANTS):
                page = PAGES[ct].format(cat=cat, n=v + 1)
                out.append(json.dumps({"page": page, "category": cat, "content_type": ct}))
    return np.array(out, dtype=object)


def make_browsing(
    rng: np.random.Generator, ps: Persons, recs: Records, cal: Calendar, orders: Orders, as_of: int
) -> EventBlock:
    """Simulate browsing sessions and their page views."""
    n = ps.n
    start = cal.to_op(ps.signup_t)
    span = np.maximum(cal.to_op(orders.active_end_t) - start, 0.0)
    rate = rng.gamma(1.0, SESSION_RATE, size=n) + 0.2 * ps.lam
    count = np.minimum(rng.poisson(rate * span), 150)
    person = np.repeat(np.arange(n), count)
    k = len(person)
    t = cal.from_op(start[person] + span[person] * rng.random(k))
    ts = stamp(rng, cal, t, ps.offset_s[person], ORDER_HOURS, ps.signup_ts(cal)[person], as_of)
    record = pick_records(rng, recs, person, ts)
    src = recs.source[record]
    open_names = np.array([OPEN_TYPE[s] for s in SOURCES], dtype=object)[src]
    has_open = open_names != ""
    open_codes = np.array([type_code(x) if x else -1 for x in open_names[has_open]], dtype=np.int64)
    opens = EventBlock.simple(record[has_open], ts[has_open], open_codes)
    pages = np.where(src == SOURCES.index("store"), 0, np.minimum(rng.geometric(0.55, size=k), 6))
    return concat([opens, _pages(rng, ps, record, person, ts, pages, as_of)])


def _pages(
    rng: np.random.Generator, ps: Persons, record: I64, person: I64, ts: I64, pages: I64, as_of: int
) -> EventBlock:
    rec = np.repeat(record, pages)
    who = np.repeat(person, pages)
    m = len(rec)
    step = np.cumsum(rng.exponential(70.0, size=m)).astype(np.int64)
    seg = np.cumsum(pages) - pages
    first = np.repeat(step[seg[pages > 0]], pages[pages > 0])
    pts = np.minimum(np.repeat(ts, pages) + 5 + step - first, as_of - 1)
    roll = rng.random(m)
    cat = np.where(
        roll < 0.5, ps.fav[who, 0], np.where(roll < 0.75, ps.fav[who, 1], rng.integers(0, 9, m))
    )
    ct = np.where(rng.random(m) < 0.45, ps.persona[who], rng.integers(0, len(CONTENT), m))
    idx = (cat * len(CONTENT) + ct) * PAGE_VARIANTS + rng.integers(0, PAGE_VARIANTS, m)
    return EventBlock.simple(rec, pts, type_code("page_view"), page_props()[idx])


@lru_cache(maxsize=2)
def feedback_texts(language: str) -> dict[str, OBJ]:
    """Every rendered feedback text per topic (templates × products × small numbers)."""
    out: dict[str, OBJ] = {}
    for topic, templates in FEEDBACK[language].items():
        texts = {
            tpl.format(product=getattr(p, language), n=n)
            for tpl in templates
            for prods in CATALOG.values()
            for p in prods
            for n in (2, 3, 5)
        }
        out[topic] = np.array(sorted(texts), dtype=object)
    return out


_FB_TYPES = ("feedback", "survey", "ticket")


def make_feedback(
    rng: np.random.Generator,
    ps: Persons,
    recs: Records,
    cal: Calendar,
    orders: Orders,
    language: str,
    as_of: int,
) -> EventBlock:
    """Simulate feedback, survey answers and support tickets (with injection attempts)."""
    n = ps.n
    count = np.minimum(rng.poisson(0.04 + 0.06 * orders.count), 6)
    person = np.repeat(np.arange(n), count)
    k = len(person)
    lo = ps.signup_t[person]
    t = lo + (np.maximum(orders.active_end_t[person], lo) - lo) * rng.random(k)
    ts = stamp(rng, cal, t, ps.offset_s[person], ORDER_HOURS, ps.signup_ts(cal)[person], as_of)
    record = pick_records(rng, recs, person, ts)
    topic = rng.choice(len(TOPICS), size=k, p=[0.25, 0.2, 0.2, 0.25, 0.1])
    pool = feedback_texts(language)
    text = np.empty(k, dtype=object)
    rating = np.empty(k, dtype=np.int64)
    for i, name in enumerate(TOPICS):
        mask = topic == i
        text[mask] = pool[name][rng.integers(0, len(pool[name]), int(mask.sum()))]
        choices = np.array(RATINGS[name])
        rating[mask] = choices[rng.integers(0, len(choices), int(mask.sum()))]
    _inject(rng, text, language)
    props = np.array(
        [
            f'{{"rating":{r},"topic":"{TOPICS[c]}"}}'
            for r, c in zip(rating.tolist(), topic.tolist(), strict=True)
        ],
        dtype=object,
    )
    etype = np.array([type_code(x) for x in _FB_TYPES])[rng.choice(3, size=k, p=[0.5, 0.3, 0.2])]
    block = EventBlock.simple(record, ts, etype, props)
    block.text = text
    return block


def _inject(rng: np.random.Generator, text: OBJ, language: str) -> None:
    """Replace or extend a small share of texts with a prompt-injection attempt."""
    hit = np.flatnonzero(rng.random(len(text)) < INJECTION_RATE)
    own, other = (
        (INJECTION_TEXTS_ZH, INJECTION_TEXTS_EN)
        if language == "zh"
        else (INJECTION_TEXTS_EN, INJECTION_TEXTS_ZH)
    )
    for i in hit.tolist():
        table = own if rng.random() < 0.8 else other
        attack = table[int(rng.integers(len(table)))]
        text[i] = attack if rng.random() < 0.5 else f"{text[i]} {attack}"

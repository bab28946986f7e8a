"""Orders of the sample population: BG/NBD purchase process, Gamma-Gamma spend, baskets.

The first order comes a few (operational) days after signup; repeat orders follow with
Gamma inter-arrival times of mean ``1/λ`` and the buyer drops out after the ``J``-th repeat,
``J ~ Geometric(p)``. Simulation runs in the calendar's operational time, so festivals and
weekends concentrate orders without changing each buyer's average rate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from userops.cdp.sample.corpus import CATALOG, CATEGORIES, CONSUMABLE
from userops.cdp.sample.events import EventBlock, pick_records, type_code
from userops.cdp.sample.np import F64, I64, OBJ, cat, num
from userops.cdp.sample.people import CONTENT, SOURCES, Persons
from userops.cdp.sample.records import Records
from userops.cdp.sample.time import DAY, ORDER_HOURS, Calendar, stamp

MAX_REPEATS = 60
DISCOUNTS = np.array([0.05, 0.1, 0.15, 0.2, 0.3])
_DISCOUNT_W = np.array([0.25, 0.3, 0.2, 0.15, 0.1])
ORDER_SOURCE = {
    "app": "app", "web": "web", "miniprogram": "miniprogram", "wechat": "miniprogram",
    "store": "store",
}  # fmt: skip
"""Where a record's orders are placed (web orders are partly marketplace ``ecommerce``)."""


@dataclass(frozen=True)
class Baskets:
    """A fixed pool of baskets per category, sorted by total within each category."""

    total: F64
    """Sum of price × qty of each basket."""
    qty: I64
    """Number of items of each basket."""
    items: OBJ
    """JSON text of each basket's items."""
    start: I64
    """Offset of each category's slice (len = categories + 1)."""


def _basket(rng: np.random.Generator, category: str, language: str) -> tuple[float, int, str]:
    """One basket led by ``category``: (total, item count, items JSON)."""
    n_items = int(rng.choice([1, 2, 3, 4], p=[0.5, 0.3, 0.15, 0.05]))
    cats = [category] + [
        category if rng.random() < 0.7 else CATEGORIES[int(rng.integers(len(CATEGORIES)))]
        for _ in range(n_items - 1)
    ]
    items: list[dict[str, object]] = []
    total = 0.0
    count = 0
    for c in cats:
        prod = CATALOG[c][int(rng.integers(len(CATALOG[c])))]
        weights = [0.55, 0.25, 0.12, 0.08] if c in CONSUMABLE else [0.85, 0.1, 0.04, 0.01]
        q = int(rng.choice([1, 2, 3, 4], p=weights))
        price = float(prod.cny if language == "zh" else prod.usd)
        name = prod.zh if language == "zh" else prod.en
        items.append({"sku": prod.sku, "name": name, "category": c, "price": price, "qty": q})
        total += price * q
        count += q
    return round(total, 2), count, json.dumps(items, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=2)
def baskets(language: str, per_category: int = 400) -> Baskets:
    """Build the basket pool of a language (fixed: it is the brand's catalog, not the seed's)."""
    rng = np.random.default_rng(20261101)
    rows: list[tuple[float, int, str]] = []
    for category in CATEGORIES:
        rows += sorted(_basket(rng, category, language) for _ in range(per_category))
    start = np.arange(len(CATEGORIES) + 1, dtype=np.int64) * per_category
    return Baskets(
        np.array([r[0] for r in rows]),
        np.array([r[1] for r in rows], dtype=np.int64),
        np.array([r[2] for r in rows], dtype=object),
        start,
    )


def _pick_baskets(pool: Baskets, category: I64, target: F64) -> I64:
    out = np.empty(len(category), dtype=np.int64)
    for c in range(len(CATEGORIES)):
        mask = category == c
        lo, hi = int(pool.start[c]), int(pool.start[c + 1])
        pos = np.searchsorted(pool.total[lo:hi], target[mask])
        out[mask] = lo + np.clip(pos, 0, hi - lo - 1)
    return out


@dataclass
class Orders:
    """Generated orders and what later generators need to know about each person."""

    block: EventBlock
    """The order events."""
    count: I64
    """Orders per person."""
    active_end_t: F64
    """When each person stops browsing (days)."""


def make_orders(
    rng: np.random.Generator, ps: Persons, recs: Records, cal: Calendar, language: str, as_of: int
) -> Orders:
    """Simulate every person's orders up to ``as_of``."""
    n = ps.n
    end_op = cal.end_op
    u0 = cal.to_op(ps.signup_t) + rng.exponential(12.0, size=n)
    first = ps.buyer & (u0 < end_op)
    who = np.flatnonzero(first)
    jumps = np.minimum(rng.geometric(ps.p_drop[who]), MAX_REPEATS)
    rep = np.repeat(who, jumps)
    gaps = rng.gamma(ps.shape[rep], 1.0 / (ps.lam[rep] * ps.shape[rep]))
    csum = np.cumsum(gaps)
    seg = np.cumsum(jumps) - jumps
    within = csum - np.repeat(csum[seg] - gaps[seg], jumps)
    u_rep = u0[rep] + within
    keep = u_rep < end_op
    kept = np.bincount(rep[keep], minlength=n)
    died = np.zeros(n, dtype=bool)
    died[who] = kept[who] == jumps
    last_u = np.full(n, -1.0)
    np.maximum.at(last_u, rep[keep], u_rep[keep])
    end_t = np.full(n, cal.end_t)
    dead_t = cal.from_op(last_u[died]) + rng.exponential(20.0, size=int(died.sum()))
    end_t[died] = np.minimum(dead_t, cal.end_t)
    lurk = ~first & (rng.random(n) < 0.6)  # non-buyers that drift away
    end_t[lurk] = np.minimum(
        ps.signup_t[lurk] + rng.exponential(60.0, size=int(lurk.sum())), cal.end_t
    )
    person = np.concatenate([who, rep[keep]])
    t = cal.from_op(np.concatenate([u0[who], u_rep[keep]]))
    block = _order_block(rng, ps, recs, cal, language, as_of, person, t)
    return Orders(block, np.bincount(person, minlength=n), end_t)


def _order_block(
    rng: np.random.Generator,
    ps: Persons,
    recs: Records,
    cal: Calendar,
    language: str,
    as_of: int,
    person: I64,
    t: F64,
) -> EventBlock:
    k = len(person)
    signup = ps.signup_ts(cal)[person]
    ts = stamp(rng, cal, t, ps.offset_s[person], ORDER_HOURS, signup, as_of)
    record = pick_records(rng, recs, person, ts)
    roll = rng.random(k)
    cycle = ps.shape[person] > 1
    category = np.where(
        roll < np.where(cycle, 0.8, 0.5),
        ps.fav[person, 0],
        np.where(roll < np.where(cycle, 0.9, 0.8), ps.fav[person, 1], rng.integers(0, 9, size=k)),
    )
    day = np.clip(np.floor((ts - cal.start_ts) / DAY).astype(np.int64), 0, len(cal.intensity) - 1)
    festival = cal.intensity[day] > 1.3
    offer = ps.persona[person] == CONTENT.index("offer")
    discounted = rng.random(k) < 0.15 + 0.35 * offer + 0.3 * festival
    disc = np.where(discounted, rng.choice(DISCOUNTS, size=k, p=_DISCOUNT_W), 0.0)
    spend = rng.gamma(6.0, 1.0 / ps.nu[person])
    pool = baskets(language)
    b = _pick_baskets(pool, category, spend / (1.0 - disc))
    amount = np.round(pool.total[b] * (1.0 - disc), 2)
    src = np.array([ORDER_SOURCE[s] for s in SOURCES], dtype=object)[recs.source[record]]
    src[(src == "web") & (rng.random(k) < 0.3)] = "ecommerce"
    props = cat('{"items":', pool.items[b], ',"discount":', num(disc), ',"source":"', src, '"}')
    block = EventBlock.simple(record, ts, type_code("order"), props.astype(object))
    block.amount = amount
    block.quantity = pool.qty[b]
    return block

"""Vectorized trait rules (lifecycle, RFM, LTV tier, price sensitivity, reachability).

Each rule is written once in docs/traits.md and implemented exactly here, over numpy arrays
with one element per canonical user.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import rankdata

from userops.domain import ContentType

FloatArray = NDArray[np.float64]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]
StrArray = NDArray[np.object_]

REACHABLE_ORDER = (
    "sms",
    "app_push",
    "email",
    "wechat_template",
    "wecom",
    "miniprogram",
    "voice_call",
)


def lifecycle_stage(
    days_since_signup: FloatArray,
    orders_total: FloatArray,
    recency_days: FloatArray,
    p_alive: FloatArray,
    reactivated: BoolArray,
) -> StrArray:
    """Return the lifecycle stage; the first matching rule wins (docs/traits.md).

    ``recency_days`` is days since the last order, or since signup for users who never
    ordered.
    """
    conditions = [
        (days_since_signup < 30) & (orders_total <= 1),
        reactivated,
        (p_alive < 0.2) | (recency_days > 180),
        (p_alive < 0.5) | (recency_days > 60),
        orders_total >= 5,
    ]
    choices = ["new", "reactivated", "churned", "churn_risk", "mature"]
    return np.select(conditions, choices, default="growing").astype(object)


def quintile_score(values: FloatArray, mask: BoolArray) -> FloatArray:
    """Score 1..5 by rank among ``mask`` users (ties share a score); 0 outside ``mask``."""
    out = np.zeros(len(values), dtype=np.float64)
    n = int(mask.sum())
    if n:
        pct = (rankdata(values[mask], method="average") - 0.5) / n
        out[mask] = np.clip(np.floor(pct * 5.0) + 1.0, 1.0, 5.0)
    return out


def rfm_segment(
    days_since_last_order: FloatArray,
    orders_total: FloatArray,
    monetary_total: FloatArray,
    days_since_signup: FloatArray,
) -> StrArray:
    """Return the RFM segment from quintile scores among buyers (docs/traits.md)."""
    buyer = orders_total > 0
    r = quintile_score(-days_since_last_order, buyer)
    f = quintile_score(orders_total, buyer)
    m = quintile_score(monetary_total, buyer)
    conditions = [
        ~buyer & (days_since_signup < 30),
        ~buyer,
        (r >= 4) & (f >= 4) & (m >= 4),
        (f >= 4) & (r >= 3),
        (orders_total == 1) & (r >= 4),
        r >= 3,
        (r <= 2) & (f >= 3),
        r == 2,
    ]
    choices = ["new", "hibernating", "champions", "loyal", "new", "potential", "at_risk"]
    choices.append("hibernating")
    return np.select(conditions, choices, default="lost").astype(object)


def ltv_tier(ltv_12m: FloatArray, buyer: BoolArray) -> StrArray:
    """Return high/mid/low by the terciles of ltv_12m among buyers; non-buyers are low."""
    out = np.full(len(ltv_12m), "low", dtype=object)
    if buyer.any():
        lo, hi = np.quantile(ltv_12m[buyer], [1 / 3, 2 / 3])
        out[buyer & (ltv_12m >= lo)] = "mid"
        out[buyer & (ltv_12m >= hi) & (ltv_12m > lo)] = "high"
    return out


def price_sensitivity(
    orders_total: FloatArray, discounted_orders: FloatArray, discount_sum: FloatArray
) -> FloatArray:
    """Return 0.6 × share of discounted orders + 0.4 × min(1, mean discount / 0.3); 0.5 if none."""
    with np.errstate(divide="ignore", invalid="ignore"):
        share = discounted_orders / orders_total
        depth = np.minimum(1.0, (discount_sum / orders_total) / 0.3)
        score = 0.6 * share + 0.4 * depth
    return np.where(orders_total > 0, np.round(score, 4), 0.5)


def reachable_channels(
    consented: dict[str, BoolArray],
    has: dict[str, BoolArray],
    do_not_contact: BoolArray,
) -> StrArray:
    """Return ``,ch1,ch2,`` per user: consent on any record AND an address AND NOT DNC.

    ``has`` maps phone, email, device_id, wechat_openid, wechat_unionid to booleans.
    """
    n = len(do_not_contact)
    address = {
        "sms": has["phone"],
        "voice_call": has["phone"],
        "email": has["email"],
        "app_push": has["device_id"],
        "wechat_template": has["wechat_openid"],
        "miniprogram": has["wechat_openid"],
        "wecom": has["wechat_unionid"] | has["wechat_openid"],
    }
    out = np.full(n, ",", dtype=object)
    for ch in REACHABLE_ORDER:
        ok = consented.get(ch, np.zeros(n, dtype=bool)) & address[ch] & ~do_not_contact
        out[ok] = out[ok] + (ch + ",")
    out[out == ","] = ""
    return out


CONTENT_TYPES = tuple(c.value for c in ContentType)
CONTENT_WEIGHTS = {"page_view": 1.45, "message_opened": -0.29, "message_clicked": 1.84}
"""Log-likelihood weight of one event for the persona of its ``content_type`` (docs/traits.md)."""
OFFER_DISCOUNTED, OFFER_FULL_PRICE = 1.2, -0.5
"""Log-likelihood weight for ``offer`` of one discounted / one full-price order."""


def content_affinity(
    scores: FloatArray, has_content: BoolArray, orders: FloatArray, discounted: FloatArray
) -> StrArray:
    """Return the most likely content persona per user, or ``None`` without any evidence.

    ``scores`` (users × :data:`CONTENT_TYPES`) sums :data:`CONTENT_WEIGHTS` over the user's
    content events. Orders add evidence for ``offer`` (discounted vs full price). The prior
    is the share of each persona among users with content events (smoothed); users with
    neither content events nor orders get ``None``.
    """
    off = CONTENT_TYPES.index("offer")
    ev = scores.copy()
    ev[:, off] += OFFER_DISCOUNTED * discounted + OFFER_FULL_PRICE * (orders - discounted)
    seen = np.bincount(np.argmax(scores[has_content], axis=1), minlength=len(CONTENT_TYPES))
    prior = np.log((seen + 1.0) / (seen.sum() + len(CONTENT_TYPES)))
    best = np.array(CONTENT_TYPES, dtype=object)[np.argmax(ev + prior, axis=1)]
    return np.where(has_content | (orders > 0), best, np.array(None))

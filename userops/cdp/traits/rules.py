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


def quintile_cuts(values: FloatArray, mask: BoolArray) -> FloatArray:
    """The 4 smallest values scoring at least 2, 3, 4, 5 (``inf`` where none does).

    The score grows with the value and ties share one, so :func:`score_by_cuts` with these
    cuts gives every ``mask`` user exactly its :func:`quintile_score`, and scores a value
    that was not in the population against that population.
    """
    score = quintile_score(values, mask)[mask]
    inside = values[mask]
    cuts = np.full(4, np.inf)
    for k in range(4):
        above = score >= k + 2
        if above.any():
            cuts[k] = float(inside[above].min())
    return cuts


def score_by_cuts(values: FloatArray, mask: BoolArray, cuts: FloatArray) -> FloatArray:
    """Score 1..5: one plus the number of ``cuts`` at or below the value; 0 outside ``mask``."""
    out = np.zeros(len(values), dtype=np.float64)
    out[mask] = 1.0 + np.searchsorted(cuts, values[mask], side="right")
    return out


RFM_KEYS = ("r", "f", "m")


def rfm_inputs(
    days_since_last_order: FloatArray, orders_total: FloatArray, monetary_total: FloatArray
) -> dict[str, FloatArray]:
    """The values R, F and M rank (recent is high): -days since last order, orders, money."""
    return {"r": -days_since_last_order, "f": orders_total, "m": monetary_total}


def rfm_cuts(
    days_since_last_order: FloatArray, orders_total: FloatArray, monetary_total: FloatArray
) -> dict[str, FloatArray]:
    """The quintile cuts of R, F and M among buyers (what :func:`rfm_segment` scores by)."""
    buyer = orders_total > 0
    inputs = rfm_inputs(days_since_last_order, orders_total, monetary_total)
    return {k: quintile_cuts(v, buyer) for k, v in inputs.items()}


def rfm_segment(
    days_since_last_order: FloatArray,
    orders_total: FloatArray,
    monetary_total: FloatArray,
    days_since_signup: FloatArray,
    cuts: dict[str, FloatArray] | None = None,
) -> StrArray:
    """Return the RFM segment from quintile scores among buyers (docs/traits.md).

    ``cuts`` (:func:`rfm_cuts` of a population) scores these users against that population;
    without it they are scored among themselves.
    """
    buyer = orders_total > 0
    if cuts is None:
        cuts = rfm_cuts(days_since_last_order, orders_total, monetary_total)
    inputs = rfm_inputs(days_since_last_order, orders_total, monetary_total)
    r, f, m = (score_by_cuts(inputs[k], buyer, cuts[k]) for k in RFM_KEYS)
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


def ltv_cuts(ltv_12m: FloatArray, buyer: BoolArray) -> tuple[float, float]:
    """The 1/3 and 2/3 quantiles of ltv_12m among buyers (``inf`` without buyers)."""
    if not buyer.any():
        return np.inf, np.inf
    lo, hi = np.quantile(ltv_12m[buyer], [1 / 3, 2 / 3])
    return float(lo), float(hi)


def ltv_tier(
    ltv_12m: FloatArray, buyer: BoolArray, cuts: tuple[float, float] | None = None
) -> StrArray:
    """Return high/mid/low by the terciles of ltv_12m among buyers; non-buyers are low.

    ``cuts`` (:func:`ltv_cuts` of a population) places these users in that population.
    """
    lo, hi = ltv_cuts(ltv_12m, buyer) if cuts is None else cuts
    out = np.full(len(ltv_12m), "low", dtype=object)
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


def content_prior(scores: FloatArray, has_content: BoolArray) -> FloatArray:
    """Log prior of each persona: its smoothed share as the top type among users with content."""
    seen = np.bincount(np.argmax(scores[has_content], axis=1), minlength=len(CONTENT_TYPES))
    prior: FloatArray = np.log((seen + 1.0) / (seen.sum() + len(CONTENT_TYPES)))
    return prior


def content_affinity(
    scores: FloatArray,
    has_content: BoolArray,
    orders: FloatArray,
    discounted: FloatArray,
    prior: FloatArray | None = None,
) -> StrArray:
    """Return the most likely content persona per user, or ``None`` without any evidence.

    ``scores`` (users × :data:`CONTENT_TYPES`) sums :data:`CONTENT_WEIGHTS` over the user's
    content events. Orders add evidence for ``offer`` (discounted vs full price). The prior
    (:func:`content_prior`, of these users unless given) is the share of each persona among
    users with content events (smoothed); users with neither content events nor orders get
    ``None``.
    """
    off = CONTENT_TYPES.index("offer")
    ev = scores.copy()
    ev[:, off] += OFFER_DISCOUNTED * discounted + OFFER_FULL_PRICE * (orders - discounted)
    if prior is None:
        prior = content_prior(scores, has_content)
    best = np.array(CONTENT_TYPES, dtype=object)[np.argmax(ev + prior, axis=1)]
    return np.where(has_content | (orders > 0), best, np.array(None))

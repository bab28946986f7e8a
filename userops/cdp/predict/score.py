"""Predictions per customer: P(alive), expected orders and 12-month value (BG/NBD + Gamma-Gamma).

The models live in :mod:`userops.cdp.predict.bgnbd` and :mod:`userops.cdp.predict.gamma_gamma`; this
module turns order-day summaries into their inputs, fits both on the store's buyers, and
scores everyone. Time is counted in whole UTC calendar days; several orders on one day are one
transaction. Value is not discounted (see docs/traits.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from userops.cdp.predict import bgnbd as bg
from userops.cdp.predict import gamma_gamma as gg
from userops.cdp.predict.bgnbd import BgNbdParams, FloatArray
from userops.cdp.predict.gamma_gamma import GammaGammaParams

__all__ = [
    "BgNbdParams",
    "Fitted",
    "GammaGammaParams",
    "Predictions",
    "predict",
    "summarize_order_days",
]

LTV_DAYS = 365
HORIZON_DAYS = 90


@dataclass(frozen=True)
class OrderSummary:
    """Model inputs per customer, in days (``x`` repeat order days, ``m`` their mean value)."""

    x: FloatArray
    """Repeat transactions: distinct order days after the first one."""
    t_x: FloatArray
    """Days from the first to the last order day."""
    t_end: FloatArray
    """Days from the first order day to the as-of day (the model's ``T``)."""
    m: FloatArray
    """Mean value of the repeat order days (0 when ``x == 0``)."""
    buyer: np.ndarray[Any, np.dtype[np.bool_]]
    """Whether the customer has at least one order."""


@dataclass(frozen=True)
class Fitted:
    """What scoring needs from the population: both fits (None: not fitted), the spend mean."""

    bgnbd: BgNbdParams | None
    gamma_gamma: GammaGammaParams | None
    spend_mean: float
    """The store's mean repeat order-day value (the spend fallback without a Gamma-Gamma fit)."""


@dataclass(frozen=True)
class Predictions:
    """Fitted parameters (None when the store has too few buyers) and per-customer scores."""

    bgnbd: BgNbdParams | None
    """BG/NBD parameters in days."""
    gamma_gamma: GammaGammaParams | None
    """Gamma-Gamma parameters in money units."""
    p_alive: FloatArray
    """Probability that the customer is still active."""
    expected_orders_90d: FloatArray
    """Expected order days in the next 90 days."""
    expected_spend: FloatArray
    """Expected value of one future order day."""
    ltv_12m: FloatArray
    """Expected order days in the next 365 days times expected spend (undiscounted)."""
    spend_mean: float = 0.0
    """The store mean used where Gamma-Gamma is not fitted (see :class:`Fitted`)."""

    @property
    def fitted(self) -> Fitted:
        """The population part of these predictions, to score other users with."""
        return Fitted(self.bgnbd, self.gamma_gamma, self.spend_mean)

    def params(self) -> dict[str, Any]:
        """Return the fitted parameters: per day, per week, and Gamma-Gamma."""
        out: dict[str, Any] = {"bgnbd": None, "bgnbd_per_week": None, "gamma_gamma": None}
        if self.bgnbd is not None:
            out["bgnbd"] = self.bgnbd.to_dict()
            out["bgnbd_per_week"] = self.bgnbd.rescaled(7.0, "week").to_dict()
        if self.gamma_gamma is not None:
            out["gamma_gamma"] = self.gamma_gamma.to_dict()
        return out


def summarize_order_days(
    first_day: FloatArray,
    last_day: FloatArray,
    n_days: FloatArray,
    total_amount: FloatArray,
    first_amount: FloatArray,
    signup_day: FloatArray,
    as_of_day: int,
) -> OrderSummary:
    """Build model inputs; users with no order get ``x = 0`` and ``T`` from their signup day."""
    buyer = n_days > 0
    origin = np.where(buyer, first_day, np.minimum(signup_day, as_of_day))
    x = np.where(buyer, n_days - 1.0, 0.0)
    t_x = np.where(buyer, last_day - first_day, 0.0)
    t_end = np.maximum(as_of_day - origin, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(x > 0, (total_amount - first_amount) / np.maximum(x, 1.0), 0.0)
    return OrderSummary(x, t_x, t_end.astype(np.float64), m, buyer)


def _fit_bgnbd(s: OrderSummary) -> BgNbdParams | None:
    if int(np.count_nonzero(s.x[s.buyer] > 0)) < 2:
        return None
    try:
        params = bg.fit(s.x[s.buyer], s.t_x[s.buyer], s.t_end[s.buyer])
    except (ValueError, FloatingPointError):
        return None
    return params if all(np.isfinite([params.r, params.alpha, params.a, params.b])) else None


def _fit_gg(s: OrderSummary) -> GammaGammaParams | None:
    try:
        params = gg.fit(s.x, s.m)
    except (ValueError, FloatingPointError):
        return None
    return params if params.q > 1.0 and np.isfinite(params.population_mean) else None


def predict(s: OrderSummary, fitted: Fitted | None = None) -> Predictions:
    """Fit BG/NBD on the buyers and Gamma-Gamma on the repeat buyers, then score everyone.

    With fewer than two repeat buyers the BG/NBD fallback is P(alive) = 1 and a Poisson rate
    of ``(x + 1) / (T + 30)`` per day; with fewer than three (or q <= 1) the spend fallback is
    the customer's own mean order-day value, else the store's mean. ``fitted`` (the fits of
    an earlier build) scores with those instead of fitting: no refit.
    """
    bgp = _fit_bgnbd(s) if fitted is None else fitted.bgnbd
    if bgp is not None:
        alive = bg.p_alive(bgp, s.x, s.t_x, s.t_end)
        e90 = bg.expected_purchases(bgp, HORIZON_DAYS, s.x, s.t_x, s.t_end)
        e365 = bg.expected_purchases(bgp, LTV_DAYS, s.x, s.t_x, s.t_end)
    else:
        rate = (s.x + s.buyer) / (s.t_end + 30.0)
        alive, e90, e365 = np.ones_like(s.x), rate * HORIZON_DAYS, rate * LTV_DAYS
    ggp = _fit_gg(s) if fitted is None else fitted.gamma_gamma
    if fitted is not None:
        store_mean = fitted.spend_mean
    else:
        store_mean = float(np.mean(s.m[s.x > 0])) if np.any(s.x > 0) else 0.0
    if ggp is not None:
        spend = gg.expected_spend(ggp, s.x, s.m)
    else:
        spend = np.where(s.x > 0, s.m, store_mean)
    spend = np.nan_to_num(spend, nan=0.0, posinf=0.0)
    return Predictions(bgp, ggp, alive, e90, spend, e365 * spend, store_mean)

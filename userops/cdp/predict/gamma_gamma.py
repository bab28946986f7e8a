"""Gamma-Gamma model of spend per transaction (Fader & Hardie 2013 note; Colombo & Jiang 1999).

Fitted on repeat buyers only: ``x`` repeat transactions and ``m`` their mean value.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

FloatArray = NDArray[np.float64]

MAX_FIT_ROWS = 300_000
"""Above this many repeat buyers, the fit uses a seeded random sample of them."""


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters (money units of the store)."""

    p: float
    """Shape of the gamma distribution of one transaction's value."""
    q: float
    """Shape of the gamma heterogeneity of the value scale across customers."""
    v: float
    """Scale of the gamma heterogeneity of the value scale across customers."""

    def to_dict(self) -> dict[str, float]:
        """Return the parameters as a JSON-ready dict."""
        return asdict(self)

    @property
    def population_mean(self) -> float:
        """Expected mean spend of a customer with no repeat purchase: ``p v / (q - 1)``."""
        return self.p * self.v / (self.q - 1.0) if self.q > 1.0 else float("nan")


def log_likelihood(params: tuple[float, float, float], x: FloatArray, m: FloatArray) -> FloatArray:
    """Return each repeat buyer's Gamma-Gamma log-likelihood of mean spend ``m`` over ``x``."""
    p, q, v = params
    px = p * x
    return (  # type: ignore[no-any-return]
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(x * m + v)
    )


def _nll_and_grad(lp: FloatArray, x: FloatArray, m: FloatArray) -> tuple[float, FloatArray]:
    """Mean negative log-likelihood and its gradient in log-parameter space."""
    p, q, v = np.exp(lp)
    value = -float(np.mean(log_likelihood((p, q, v), x, m)))
    px, xmv = p * x, x * m + v
    shared = digamma(px + q) - np.log(xmv)
    d_p = np.mean(x * (shared - digamma(px) + np.log(m) + np.log(x)))
    d_q = np.mean(shared - digamma(q) + np.log(v))
    d_v = np.mean(q / v - (px + q) / xmv)
    grad = -np.array([d_p * p, d_q * q, d_v * v])
    if not np.isfinite(value) or not np.all(np.isfinite(grad)):
        return 1e10, np.zeros(3)
    return value, grad


def fit(x: FloatArray, m: FloatArray, *, seed: int = 0) -> GammaGammaParams:
    """Fit Gamma-Gamma by maximum likelihood (L-BFGS-B, analytic gradient, log parameters).

    Only customers with ``x > 0`` and ``m > 0`` enter the fit.
    """
    x, m = np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64)
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]
    if len(x) < 3:
        raise ValueError("Gamma-Gamma needs at least 3 repeat buyers with positive spend")
    if len(x) > MAX_FIT_ROWS:
        pick = np.random.default_rng(seed).choice(len(x), MAX_FIT_ROWS, replace=False)
        x, m = x[pick], m[pick]

    start = np.log([1.0, 2.0, float(np.mean(m))])
    res = minimize(
        _nll_and_grad,
        start,
        args=(x, m),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-12.0, 12.0)] * 3,
        options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 1000},
    )
    p, q, v = (float(val) for val in np.exp(res.x))
    return GammaGammaParams(p, q, v)


def expected_spend(params: GammaGammaParams, x: FloatArray, m: FloatArray) -> FloatArray:
    """Return E[M | x, m], each customer's expected mean spend per transaction.

    ``(p (v + x m)) / (p x + q - 1)``; customers with no repeat purchase get the population
    mean ``p v / (q - 1)``.
    """
    p, q, v = params.p, params.q, params.v
    x, m = np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64)
    with np.errstate(all="ignore"):
        cond = p * (v + x * m) / (p * x + q - 1.0)
    return np.where(x > 0, cond, params.population_mean)

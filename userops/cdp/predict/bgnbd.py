"""BG/NBD model (Fader, Hardie & Lee 2005): P(alive) and expected purchases.

Fitted by maximum likelihood with scipy over a vectorized log-likelihood. Inputs per
customer are ``x`` (repeat transactions: purchase days after the first one), ``t_x`` (time
from the first to the last purchase) and ``T`` (time from the first purchase to the end of
the observation period), all in one time unit (userops uses days).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

FloatArray = NDArray[np.float64]

MAX_FIT_ROWS = 300_000
"""Above this many distinct (x, t_x, T) rows, the fit uses a seeded random sample of them."""


@dataclass(frozen=True)
class BgNbdParams:
    """Fitted BG/NBD parameters; ``alpha`` is in ``time_unit``."""

    r: float
    """Shape of the gamma heterogeneity of purchase rates."""
    alpha: float
    """Scale of the gamma heterogeneity of purchase rates (in ``time_unit``)."""
    a: float
    """First shape of the beta heterogeneity of dropout probabilities."""
    b: float
    """Second shape of the beta heterogeneity of dropout probabilities."""
    time_unit: str = "day"
    """Time unit of ``alpha`` and of the inputs."""

    def to_dict(self) -> dict[str, float | str]:
        """Return the parameters as a JSON-ready dict."""
        return asdict(self)

    def rescaled(self, factor: float, unit: str) -> BgNbdParams:
        """Return the same model in a time unit ``factor`` times longer (day → week: 7)."""
        return BgNbdParams(self.r, self.alpha / factor, self.a, self.b, unit)


def _terms(
    params: tuple[float, float, float, float], x: FloatArray, t_x: FloatArray, t_end: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return (A1 + A2, A3, A4) of FHL 2005 eq. 6 (A4 is -inf where x = 0)."""
    r, alpha, a, b = params
    a12 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + t_end)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return a12, a3, a4


def log_likelihood(
    params: tuple[float, float, float, float], x: FloatArray, t_x: FloatArray, t_end: FloatArray
) -> FloatArray:
    """Return each customer's BG/NBD log-likelihood (FHL 2005, eq. 6)."""
    a12, a3, a4 = _terms(params, x, t_x, t_end)
    return a12 + np.logaddexp(a3, a4)


def _compress(
    x: FloatArray, t_x: FloatArray, t_end: FloatArray, seed: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    rows, counts = np.unique(np.column_stack([x, t_x, t_end]), axis=0, return_counts=True)
    weights = counts.astype(np.float64)
    if len(rows) > MAX_FIT_ROWS:
        pick = np.random.default_rng(seed).choice(len(rows), MAX_FIT_ROWS, replace=False)
        rows, weights = rows[pick], weights[pick]
    return rows[:, 0], rows[:, 1], rows[:, 2], weights


def _nll_and_grad(
    lp: FloatArray, x: FloatArray, t_x: FloatArray, t_end: FloatArray, w: FloatArray
) -> tuple[float, FloatArray]:
    """Mean negative log-likelihood and its gradient in log-parameter space."""
    r, alpha, a, b = np.exp(lp)
    ll = log_likelihood((r, alpha, a, b), x, t_x, t_end)
    rep = x > 0
    a3 = -(r + x) * np.log(alpha + t_end)
    w3 = np.exp(
        a3
        - (ll - gammaln(r + x) + gammaln(r) - r * np.log(alpha) - betaln(a, b + x) + betaln(a, b))
    )
    w4 = np.where(rep, 1.0 - w3, 0.0)
    w3 = np.where(rep, w3, 1.0)
    log_tx = np.log(alpha + t_x)
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w3 * np.log(alpha + t_end) - w4 * log_tx
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + t_end) + w4 / (alpha + t_x))
    d_a = digamma(a + b) - digamma(a + b + x) + w4 / a
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = np.where(rep, w4 / np.maximum(b + x - 1.0, 1e-300), 0.0)
    d_b = digamma(b + x) - digamma(a + b + x) - digamma(b) + digamma(a + b) - tail
    total = float(w.sum())
    grad = np.array([float((w * g).sum()) for g in (d_r, d_alpha, d_a, d_b)])
    value = -float((w * ll).sum()) / total
    if not np.isfinite(value) or not np.all(np.isfinite(grad)):
        return 1e10, np.zeros(4)
    return value, -grad * np.array([r, alpha, a, b]) / total


def fit(
    x: FloatArray, t_x: FloatArray, t_end: FloatArray, *, time_unit: str = "day", seed: int = 0
) -> BgNbdParams:
    """Fit BG/NBD by maximum likelihood (L-BFGS-B with the analytic gradient, log parameters).

    Identical customers are collapsed into weighted rows, so the cost grows with the number of
    distinct (x, t_x, T) triples, not customers.
    """
    x, t_x, t_end = (np.asarray(v, dtype=np.float64) for v in (x, t_x, t_end))
    if len(x) == 0:
        raise ValueError("BG/NBD needs at least one customer")
    data = _compress(x, t_x, t_end, seed)
    scale = float(np.mean(t_end)) or 1.0
    fits = [
        minimize(
            _nll_and_grad,
            np.log(start),
            args=data,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-12.0, 12.0)] * 4,
            options={"ftol": 1e-13, "gtol": 1e-9, "maxiter": 500},
        )
        for start in ((1.0, scale / 4, 1.0, 1.0), (0.5, scale, 0.5, 2.0))
    ]
    best = min(fits, key=lambda res: float(res.fun))  # the first of equals, as before
    r, alpha, a, b = (float(v) for v in np.exp(best.x))
    return BgNbdParams(r, alpha, a, b, time_unit)


def _alive_odds(p: BgNbdParams, x: FloatArray, t_x: FloatArray, t_end: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_odds = (
            np.log(p.a)
            - np.log(np.maximum(p.b + x - 1.0, 1e-300))
            + (p.r + x) * (np.log(p.alpha + t_end) - np.log(p.alpha + t_x))
        )
        odds = np.exp(np.minimum(log_odds, 700.0))
    return np.where(x > 0, odds, 0.0)


def p_alive(p: BgNbdParams, x: FloatArray, t_x: FloatArray, t_end: FloatArray) -> FloatArray:
    """Return P(alive | x, t_x, T) for each customer (FHL 2005, eq. 11)."""
    return 1.0 / (1.0 + _alive_odds(p, x, t_x, t_end))


def expected_purchases(
    p: BgNbdParams, t: float, x: FloatArray, t_x: FloatArray, t_end: FloatArray
) -> FloatArray:
    """Return E[Y(t) | x, t_x, T], the expected purchases in the next ``t`` (eq. 10).

    Where the Gauss hypergeometric term is not finite (very frequent buyers), the value falls
    back to ``P(alive) * t * (r + x) / (alpha + T)``, the alive customer's posterior mean rate.
    """
    x, t_x, t_end = (np.asarray(v, dtype=np.float64) for v in (x, t_x, t_end))
    with np.errstate(all="ignore"):
        ratio = (p.alpha + t_end) / (p.alpha + t_end + t)
        hyp = hyp2f1(p.r + x, p.b + x, p.a + p.b + x - 1.0, t / (p.alpha + t_end + t))
        head = (p.a + p.b + x - 1.0) / (p.a - 1.0)
        value = head * (1.0 - ratio ** (p.r + x) * hyp) / (1.0 + _alive_odds(p, x, t_x, t_end))
    fallback = p_alive(p, x, t_x, t_end) * t * (p.r + x) / (p.alpha + t_end)
    ok = np.isfinite(value) & (value >= 0)
    return np.where(ok, value, fallback)

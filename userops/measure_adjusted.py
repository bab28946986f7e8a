"""Covariate-adjusted uplift (CUPED / regression adjustment) with pre-period covariates.

The raw uplift of :mod:`userops.measure` compares two rates; most of its noise here is
outcome variance that has nothing to do with the campaign. Regression adjustment removes the
part of each member's outcome that a covariate known *before* assignment predicts:

    uplift_adj = (ȳ_t − ȳ_h) − (x̄_t − x̄_h)·θ

with θ the pooled within-arm least-squares slope of the outcome on the covariates. Because
assignment is random, x̄_t − x̄_h has mean zero, so the estimate stays unbiased while its
variance shrinks by about the share of outcome variance the covariates explain (ANCOVA;
Deng et al. 2013, "CUPED"). The 95% interval is the normal one on the residual variances of
the two arms. With no covariate variance (θ = 0) it is the raw difference of means.

The covariates (:data:`COVARIATES`) are each member's own history in the ``lookback_s``
before their ``assigned_ts``: orders and clicked messages. Nothing the campaign did can
change them, and they come from the events table only (never from hidden attributes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine, text

from userops.measure import Z95, outcome_ctes

COVARIATES = ("orders_pre", "clicks_pre")
"""Names of the pre-period covariates, in column order."""
LOOKBACK_S = 365 * 86400
"""Default pre-period: the year before each member's assignment."""

Arrays = tuple[NDArray[np.float64], NDArray[np.float64]]


def adjusted_uplift(
    y_t: NDArray[np.float64],
    x_t: NDArray[np.float64],
    y_h: NDArray[np.float64],
    x_h: NDArray[np.float64],
    z: float = Z95,
) -> dict[str, Any]:
    """Return the regression-adjusted difference of means ``treatment − holdout``.

    Args:
        y_t: Outcomes of the treatment arm (0/1 for a rate), shape ``(n_t,)``.
        x_t: Pre-period covariates of the treatment arm, shape ``(n_t, k)``.
        y_h: Outcomes of the holdout arm, shape ``(n_h,)``.
        x_h: Covariates of the holdout arm, shape ``(n_h, k)``.
        z: Normal quantile of the interval.

    Returns:
        ``uplift``, ``ci``, ``se``, ``raw_uplift``, ``raw_se`` (normal standard error of the
        unadjusted difference), ``theta`` and ``variance_reduction`` (1 − var_adj/var_raw).
    """
    n_t, n_h = len(y_t), len(y_h)
    if n_t < 2 or n_h < 2:
        raw = float(y_t.mean() - y_h.mean()) if n_t and n_h else 0.0
        return _result(raw, float("nan"), raw, float("nan"), np.zeros(x_t.shape[1]), z)
    xc_t, xc_h = x_t - x_t.mean(axis=0), x_h - x_h.mean(axis=0)
    yc_t, yc_h = y_t - y_t.mean(), y_h - y_h.mean()
    sxx = xc_t.T @ xc_t + xc_h.T @ xc_h
    sxy = xc_t.T @ yc_t + xc_h.T @ yc_h
    theta = np.linalg.pinv(sxx) @ sxy  # zero-variance covariates get slope 0
    raw = float(y_t.mean() - y_h.mean())
    uplift = raw - float((x_t.mean(axis=0) - x_h.mean(axis=0)) @ theta)
    k = x_t.shape[1]
    r_t, r_h = yc_t - xc_t @ theta, yc_h - xc_h @ theta
    dof = max(n_t + n_h - 2 - k, 1) / (n_t + n_h - 2)
    var = (float(r_t @ r_t) / (n_t - 1) / n_t + float(r_h @ r_h) / (n_h - 1) / n_h) / dof
    raw_var = float(yc_t @ yc_t) / (n_t - 1) / n_t + float(yc_h @ yc_h) / (n_h - 1) / n_h
    return _result(uplift, var, raw, raw_var, theta, z)


def _result(
    uplift: float, var: float, raw: float, raw_var: float, theta: NDArray[np.float64], z: float
) -> dict[str, Any]:
    se, raw_se = float(np.sqrt(var)), float(np.sqrt(raw_var))
    finite = np.isfinite(se) and np.isfinite(raw_se)
    return {
        "uplift": round(uplift, 6),
        "ci": [round(uplift - z * se, 6), round(uplift + z * se, 6)] if finite else None,
        "se": round(se, 6) if finite else None,
        "raw_uplift": round(raw, 6),
        "raw_se": round(raw_se, 6) if finite else None,
        "theta": [round(float(t), 6) for t in theta],
        "variance_reduction": round(1 - var / raw_var, 4) if finite and raw_var > 0 else 0.0,
    }


def member_outcomes(
    engine: Engine,
    campaign_id: str,
    *,
    metric: str = "conversion_rate",
    window_s: int = 7 * 86400,
    lookback_s: int = LOOKBACK_S,
) -> dict[tuple[str, str], Arrays]:
    """Return ``(y, X)`` per ``(step_id, arm)``: outcome and pre-period covariates per member.

    The outcome is the one :func:`userops.measure.arm_stats` counts (same events, same
    window, merged identities followed); ``X`` holds :data:`COVARIATES` counted in
    ``[assigned_ts − lookback_s, assigned_ts)`` over the member's merged records.
    """
    ctes, params = outcome_ctes(campaign_id, metric=metric, window_s=window_s)
    params["lb"] = lookback_s
    sql = text(
        f"""
        {ctes},
        pre AS (
          SELECT r.step_id, r.uid,
                 sum(CASE WHEN e.type = 'order' THEN 1 ELSE 0 END) AS orders,
                 sum(CASE WHEN e.type = 'message_clicked' THEN 1 ELSE 0 END) AS clicks
          FROM recs r
          JOIN events e ON e.user_id = r.rid AND e.ts >= r.t0 - :lb AND e.ts < r.t0
          WHERE e.type IN ('order', 'message_clicked')
          GROUP BY r.step_id, r.uid
        )
        SELECT cm.step_id, cm.arm, CASE WHEN h.uid IS NULL THEN 0 ELSE 1 END AS y,
               coalesce(p.orders, 0) AS orders, coalesce(p.clicks, 0) AS clicks
        FROM campaign_members cm
        LEFT JOIN hits h ON h.step_id = cm.step_id AND h.uid = cm.user_id
        LEFT JOIN pre p ON p.step_id = cm.step_id AND p.uid = cm.user_id
        WHERE cm.campaign_id = :c
        """
    )
    rows: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
    with engine.connect() as conn:
        for r in conn.execute(sql, params):
            rows.setdefault((r.step_id, r.arm), []).append(
                (int(r.y), int(r.orders or 0), int(r.clicks or 0))
            )
    out: dict[tuple[str, str], Arrays] = {}
    for key, vals in rows.items():
        a = np.asarray(vals, dtype=np.float64)
        out[key] = (a[:, 0], a[:, 1:])
    return out


def measure_adjusted(
    engine: Engine,
    campaign_id: str,
    *,
    step_id: str = "s1",
    metric: str = "conversion_rate",
    window_s: int = 7 * 86400,
    baseline_step: str | None = None,
    lookback_s: int = LOOKBACK_S,
) -> dict[str, Any]:
    """Adjusted uplift of ``step_id``'s treatment (and of ``baseline_step``'s) over the holdout.

    Returns:
        ``{"kpi": {...}, "baseline": {...} | None}``; each dict as :func:`adjusted_uplift`
        plus ``covariate`` (what was adjusted for) and the arm sizes.
    """
    data = member_outcomes(
        engine, campaign_id, metric=metric, window_s=window_s, lookback_s=lookback_s
    )
    empty: Arrays = (np.zeros(0), np.zeros((0, len(COVARIATES))))
    holdout = data.get((step_id, "holdout"), empty)
    days = lookback_s // 86400
    label = f"{' + '.join(COVARIATES)} ({days}d before assignment)"

    def one(arm: Arrays) -> dict[str, Any]:
        res = adjusted_uplift(arm[0], arm[1], holdout[0], holdout[1])
        return {**res, "covariate": label, "n_treatment": len(arm[0]), "n_holdout": len(holdout[0])}

    out: dict[str, Any] = {"kpi": one(data.get((step_id, "treatment"), empty)), "baseline": None}
    if baseline_step is not None:
        out["baseline"] = one(data.get((baseline_step, "treatment"), empty))
    return out

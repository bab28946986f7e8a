"""Covariate-adjusted uplift: known answers, unbiasedness and narrower intervals over draws."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine, insert

from tests.test_measure import _campaign
from userops.measure import arm_stats
from userops.measure_adjusted import adjusted_uplift, measure_adjusted, member_outcomes
from userops.store.models import Event

TAU = 0.02


def _draw(rng: np.random.Generator, n: int, tau: float, informative: bool = True) -> tuple:
    """One experiment: heterogeneous users whose history predicts their outcome."""
    lam = rng.gamma(0.5, 2.0, size=2 * n)
    x = rng.poisson(lam).astype(float)
    base = 0.02 + 0.6 * np.minimum(lam, 4.0) / 4.0
    if not informative:
        x = rng.permutation(x)  # same distribution, unrelated to the outcome
    treated = np.arange(2 * n) < n
    y = (rng.random(2 * n) < base + tau * treated).astype(float)
    return y[treated], x[treated, None], y[~treated], x[~treated, None]


def test_point_estimate_equals_ancova_treatment_coefficient() -> None:
    rng = np.random.default_rng(3)
    y_t, x_t, y_h, x_h = _draw(rng, 500, TAU)
    x2_t, x2_h = rng.random((500, 1)), rng.random((500, 1))
    xt, xh = np.hstack([x_t, x2_t]), np.hstack([x_h, x2_h])
    res = adjusted_uplift(y_t, xt, y_h, xh)
    # OLS of y on [1, T, X] (arm-centred covariates give the pooled within-arm slope).
    design = np.vstack(
        [
            np.column_stack([np.ones(500), np.ones(500), xt]),
            np.column_stack([np.ones(500), np.zeros(500), xh]),
        ]
    )
    coef = np.linalg.lstsq(design, np.concatenate([y_t, y_h]), rcond=None)[0]
    assert res["uplift"] == pytest.approx(coef[1], abs=1e-6)
    assert res["theta"] == pytest.approx(list(coef[2:]), abs=1e-6)
    assert res["raw_uplift"] == pytest.approx(y_t.mean() - y_h.mean(), abs=1e-6)


def test_constant_covariate_gives_the_raw_difference() -> None:
    rng = np.random.default_rng(4)
    y_t, _, y_h, _ = _draw(rng, 300, TAU)
    res = adjusted_uplift(y_t, np.zeros((300, 1)), y_h, np.zeros((300, 1)))
    assert res["theta"] == [0.0]
    assert res["uplift"] == res["raw_uplift"] and res["se"] == pytest.approx(res["raw_se"], 1e-3)


def test_unbiased_narrower_and_covering_over_many_draws() -> None:
    rng = np.random.default_rng(20261123)
    adj, raw, cover, width, raw_width, vr = [], [], 0, [], [], []
    draws = 400
    for _ in range(draws):
        res = adjusted_uplift(*_draw(rng, 2000, TAU))
        adj.append(res["uplift"])
        raw.append(res["raw_uplift"])
        lo, hi = res["ci"]
        cover += lo <= TAU <= hi
        width.append(hi - lo)
        raw_width.append(2 * 1.96 * res["raw_se"])
        vr.append(res["variance_reduction"])
    adj_a, raw_a = np.array(adj), np.array(raw)
    # Unbiased: the mean over draws is within 3 standard errors of the true effect.
    assert abs(adj_a.mean() - TAU) < 3 * adj_a.std() / np.sqrt(draws)
    # Narrower: in every draw, and the spread over draws agrees with the reported reduction.
    assert all(w < r for w, r in zip(width, raw_width, strict=True))
    empirical = 1 - adj_a.var() / raw_a.var()
    assert empirical > 0.1 and abs(empirical - float(np.mean(vr))) < 0.1
    # Honest interval: about 95% coverage.
    assert 0.92 <= cover / draws <= 0.98


def test_uninformative_covariate_reduces_nothing() -> None:
    rng = np.random.default_rng(5)
    vr = [
        adjusted_uplift(*_draw(rng, 2000, TAU, informative=False))["variance_reduction"]
        for _ in range(50)
    ]
    assert abs(float(np.mean(vr))) < 0.01


def test_tiny_arms_have_no_interval() -> None:
    res = adjusted_uplift(np.array([1.0]), np.ones((1, 1)), np.array([0.0, 1.0]), np.ones((2, 1)))
    assert res["ci"] is None and res["uplift"] == 0.5


def test_member_outcomes_match_arm_stats_and_count_the_pre_period(any_engine: Engine) -> None:
    _campaign(any_engine)
    with any_engine.begin() as conn:
        (t0,) = conn.exec_driver_sql(
            "SELECT assigned_ts FROM campaign_members WHERE user_id = 1"
        ).one()
        conn.execute(
            insert(Event.__table__),
            [
                {"user_id": 41, "type": "order", "ts": t0 - 86400},  # merged record of user 1
                {"user_id": 12, "type": "message_clicked", "ts": t0 - 5},
                {"user_id": 12, "type": "order", "ts": t0 - 400 * 86400},  # before the lookback
            ],
        )
    data = member_outcomes(any_engine, "c1")
    stats = arm_stats(any_engine, "c1")
    for key, st in stats.items():
        y, x = data[key]
        assert (len(y), int(y.sum())) == (st.n, st.successes)
    y, x = data[("s1", "holdout")]
    assert x.sum(axis=0).tolist() == [2.0, 0.0]  # user 1 (via 41) and user 2, one order each
    y, x = data[("s1", "treatment")]
    assert x.sum(axis=0).tolist() == [0.0, 1.0]
    res = measure_adjusted(any_engine, "c1", baseline_step="s1b")
    assert res["kpi"]["raw_uplift"] == pytest.approx(0.5 - 0.1)
    assert res["baseline"]["n_treatment"] == 10 and "orders_pre" in res["kpi"]["covariate"]

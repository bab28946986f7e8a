"""BG/NBD and Gamma-Gamma: the published CDNOW parameters, formulas, parameter recovery."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from tests.conftest import DATA
from userops.cdp.ingest.cdnow import import_cdnow
from userops.cdp.predict import bgnbd as bg
from userops.cdp.predict import gamma_gamma as gg
from userops.cdp.traits.build import build_profiles
from userops.cli.main import app
from userops.store.models import ModelFit

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.44}


def test_cdnow_reproduces_published_parameters(sqlite_engine: Engine) -> None:
    import_cdnow(sqlite_engine, DATA / "CDNOW_sample.txt")
    result = build_profiles(sqlite_engine, as_of=date(1997, 9, 30))
    per_week = result.params["bgnbd_per_week"]
    assert per_week["time_unit"] == "week"
    assert result.params["bgnbd"]["time_unit"] == "day"
    for name, want in PUBLISHED_BGNBD.items():
        assert per_week[name] == pytest.approx(want, rel=0.01), name
    for name, want in PUBLISHED_GG.items():
        assert result.params["gamma_gamma"][name] == pytest.approx(want, rel=0.02), name
    assert result.params["bgnbd"]["alpha"] == pytest.approx(7 * per_week["alpha"])
    assert result.users == 2357
    with sqlite_engine.connect() as conn:
        models = {m for (m,) in conn.execute(select(ModelFit.model))}
    assert models == {"bgnbd", "gamma_gamma", "traits_population"}


def test_cli_build_json_prints_params(home: Path) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(app, ["import", "transactions", str(DATA / "CDNOW_sample.txt")]).exit_code
        == 0
    )
    out = runner.invoke(app, ["profiles", "build", "--as-of", "1997-09-30", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["bgnbd_per_week"]["r"] == pytest.approx(0.243, rel=0.01)
    assert sum(data["lifecycle"].values()) == data["users"] == 2357
    table = runner.invoke(app, ["profiles", "build", "--as-of", "1997-09-30"])
    assert table.exit_code == 0 and "bgnbd_per_week" in table.stdout
    bad = runner.invoke(app, ["profiles", "build", "--as-of", "1997-02-30"])
    assert bad.exit_code == 1
    assert "--as-of" in bad.output


def _simulate(n: int, r: float, alpha: float, a: float, b: float, t_end: float, seed: int) -> tuple:
    """Simulate BG/NBD customers observed for ``t_end`` days from their first purchase."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1.0 / lam[i])
            if t > t_end:
                break
            x[i] += 1
            t_x[i] = t
            if rng.random() < p[i]:
                break
    return x, t_x, np.full(n, t_end)


def test_bgnbd_fit_recovers_simulated_parameters() -> None:
    truth = bg.BgNbdParams(r=0.5, alpha=20.0, a=0.8, b=2.5)
    x, t_x, t_end = _simulate(4000, truth.r, truth.alpha, truth.a, truth.b, 365.0, seed=7)
    fit = bg.fit(x, t_x, t_end)
    assert fit.r == pytest.approx(truth.r, rel=0.2)
    assert fit.alpha == pytest.approx(truth.alpha, rel=0.25)
    assert fit.a / (fit.a + fit.b) == pytest.approx(truth.a / (truth.a + truth.b), rel=0.25)


def test_bgnbd_conditional_formulas() -> None:
    p = bg.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="week")
    x = np.array([0.0, 2.0, 2.0, 10.0])
    t_x = np.array([0.0, 30.0, 5.0, 30.0])
    t_end = np.array([39.0, 39.0, 39.0, 39.0])
    alive = bg.p_alive(p, x, t_x, t_end)
    assert alive[0] == 1.0  # no repeat purchase: never observed to drop out
    assert alive[1] > alive[2]  # the same count, a more recent last purchase
    e10 = bg.expected_purchases(p, 10.0, x, t_x, t_end)
    e52 = bg.expected_purchases(p, 52.0, x, t_x, t_end)
    assert np.all(e52 > e10) and np.all(e10 > 0)
    assert e10[3] > e10[1]  # more purchases, same recency: more expected
    # FHL 2005 report E[Y(39) | x=2, t_x=30.43, T=38.86] = 1.226 on these parameters
    one = bg.expected_purchases(p, 39.0, np.array([2.0]), np.array([30.43]), np.array([38.86]))
    assert one[0] == pytest.approx(1.226, abs=0.01)


def test_gamma_gamma_fit_and_shrinkage() -> None:
    rng = np.random.default_rng(3)
    p, q, v = 6.0, 4.0, 15.0
    nu = rng.gamma(q, 1.0 / v, 3000)
    x = rng.integers(1, 8, 3000).astype(float)
    m = np.array([rng.gamma(p * k, 1.0 / (nu_i * k)) for k, nu_i in zip(x, nu, strict=True)])
    fit = gg.fit(x, m)
    assert fit.p * fit.v / (fit.q - 1) == pytest.approx(p * v / (q - 1), rel=0.1)
    spend = gg.expected_spend(fit, np.array([0.0, 1.0, 20.0]), np.array([0.0, 100.0, 100.0]))
    assert spend[0] == pytest.approx(fit.population_mean)
    assert spend[0] < spend[1] < spend[2] < 100.0  # shrinks toward the mean, less with more data

"""Preferred channel from message history: shrunk open rates, reachable channels first."""

from __future__ import annotations

import numpy as np
import pytest

from userops.cdp.traits.channel import (
    CHANNELS,
    DEFAULT_STRENGTH,
    beta_strength,
    preferred_by_history,
    reachable_matrix,
    shrunk_open_rates,
)

SMS, PUSH, EMAIL = (CHANNELS.index(c) for c in ("sms", "app_push", "email"))


def _arrays(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((n, len(CHANNELS))), np.zeros((n, len(CHANNELS)))


def test_beta_strength_recovers_the_prior_of_simulated_users() -> None:
    rng = np.random.default_rng(3)
    p = rng.beta(2.0, 8.0, size=20_000)  # mean 0.2, strength 10
    trials = rng.integers(3, 30, size=p.size).astype(float)
    mean, k = beta_strength(trials, rng.binomial(trials.astype(int), p).astype(float))
    assert mean == pytest.approx(0.2, abs=0.01)
    assert k == pytest.approx(10.0, rel=0.2)


def test_beta_strength_without_enough_history_uses_the_default() -> None:
    mean, k = beta_strength(np.array([4.0, 2.0]), np.array([1.0, 1.0]))
    assert (mean, k) == (pytest.approx(1 / 3), DEFAULT_STRENGTH)


def test_one_lucky_open_does_not_beat_a_long_good_record() -> None:
    rng = np.random.default_rng(5)
    n = 400  # a population for the priors: both channels open about 10% of the time
    delivered, opened = _arrays(n)
    delivered[:, SMS] = delivered[:, PUSH] = 10
    opened[:, SMS] = rng.binomial(10, 0.1, n)
    opened[:, PUSH] = rng.binomial(10, 0.1, n)
    delivered[0, :], opened[0, :] = 0, 0
    delivered[0, SMS], opened[0, SMS] = 1, 1  # 1 of 1: raw rate 100%
    delivered[0, PUSH], opened[0, PUSH] = 40, 12  # 12 of 40: 30%, well above the 10% mean
    rates = shrunk_open_rates(delivered, opened)
    assert rates[0, PUSH] > rates[0, SMS]
    reach = np.ones((n, len(CHANNELS)), dtype=bool)
    assert preferred_by_history(delivered, opened, reach)[0] == "app_push"


def test_only_reachable_channels_are_preferred_and_no_history_gives_none() -> None:
    delivered, opened = _arrays(3)
    delivered[:2, PUSH], opened[:2, PUSH] = 10, 9  # responds to push...
    delivered[:2, SMS], opened[:2, SMS] = 10, 1
    reach = reachable_matrix(np.array([",sms,email,", "", ",sms,app_push,"], dtype=object))
    got = preferred_by_history(delivered, opened, reach)
    assert got[0] == "sms"  # ...but push is not reachable: the better reachable one
    assert got[1] == "app_push"  # reachable on nothing: the best channel with history
    assert got[2] is None  # no message history at all

"""Preferred channel from message history: empirical-Bayes open rates per user and channel.

A user's history on one channel is a handful of deliveries, so a raw open rate (or a count of
opens, which mostly says where the brand sent most) is noise. Each channel's rate is shrunk
towards the population's open rate on that channel with a Beta prior fitted by the method of
moments (:func:`beta_strength`), and the preferred channel is the reachable one with the
highest shrunk rate (docs/traits.md). Only events are read, never ``users.attributes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from userops.cdp.traits.rules import REACHABLE_ORDER, BoolArray, FloatArray, StrArray

CHANNELS = REACHABLE_ORDER
"""Channels the rule scores (the channels with an address rule)."""
MIN_STRENGTH, MAX_STRENGTH = 1.0, 50.0
"""Bounds of the prior's strength (pseudo-deliveries) per channel."""
DEFAULT_STRENGTH = 5.0
"""Prior strength when a channel has too little history to fit one."""


def response_matrix(rows: Sequence[Any], positions: Any) -> tuple[FloatArray, FloatArray]:
    """Place ``(uid, channel, delivered, opened)`` rows into (users × channels) arrays.

    ``positions(uids) -> (row index, known)`` maps canonical ids to rows.
    """
    n = positions.n
    delivered = np.zeros((n, len(CHANNELS)))
    opened = np.zeros((n, len(CHANNELS)))
    known = [r for r in rows if r[1] in CHANNELS]
    if not known:
        return delivered, opened
    pos, ok = positions.positions(np.array([r[0] for r in known], dtype=np.int64))
    col = np.array([CHANNELS.index(r[1]) for r in known], dtype=np.int64)
    np.add.at(delivered, (pos[ok], col[ok]), np.array([float(r[2] or 0) for r in known])[ok])
    np.add.at(opened, (pos[ok], col[ok]), np.array([float(r[3] or 0) for r in known])[ok])
    return delivered, opened


def beta_strength(trials: FloatArray, successes: FloatArray) -> tuple[float, float]:
    """Fit a Beta prior's mean and strength ``a + b`` to per-user rates (method of moments).

    The spread of observed rates is the prior's variance plus binomial noise; the noise part
    ``E[m (1 - m) / n]`` is subtracted. Users with at least 3 trials take part.
    """
    total = float(trials.sum())
    mean = float(successes.sum()) / total if total else 0.0
    use = trials >= 3
    if use.sum() < 30 or not 0.0 < mean < 1.0:
        return mean, DEFAULT_STRENGTH
    rate = successes[use] / trials[use]
    noise = float(np.mean(mean * (1.0 - mean) / trials[use]))
    prior_var = float(np.var(rate)) - noise
    if prior_var <= 0:
        return mean, MAX_STRENGTH
    strength = mean * (1.0 - mean) / prior_var - 1.0
    return mean, float(np.clip(strength, MIN_STRENGTH, MAX_STRENGTH))


def channel_priors(delivered: FloatArray, opened: FloatArray) -> FloatArray:
    """(channels × 2): each channel's Beta prior mean and strength (:func:`beta_strength`)."""
    trials = np.maximum(delivered, opened)  # opens whose delivery event is missing still count
    return np.array(
        [beta_strength(trials[:, j], opened[:, j]) for j in range(trials.shape[1])]
    ).reshape(trials.shape[1], 2)


def shrunk_open_rates(
    delivered: FloatArray, opened: FloatArray, priors: FloatArray | None = None
) -> FloatArray:
    """Return each user's open rate per channel shrunk towards the channel's population rate.

    ``priors`` (:func:`channel_priors` of a population) default to these users' own. A
    channel without any history in the store gets rate 0 for everyone.
    """
    trials = np.maximum(delivered, opened)
    if priors is None:
        priors = channel_priors(delivered, opened)
    mean, k = priors[:, 0], priors[:, 1]
    return (opened + k * mean) / (trials + k)


def preferred_by_history(
    delivered: FloatArray,
    opened: FloatArray,
    reachable: BoolArray,
    priors: FloatArray | None = None,
) -> StrArray:
    """Return the channel with the highest shrunk open rate, or None without any history.

    Candidates are the user's reachable channels when there are any, else the channels the
    user has history on. Ties go to the order of :data:`CHANNELS`.
    """
    rates = shrunk_open_rates(delivered, opened, priors)
    history = np.maximum(delivered, opened) > 0
    any_reach = reachable.any(axis=1, keepdims=True)
    candidates = np.where(any_reach, reachable, history)
    score = np.where(candidates, rates, -1.0)
    best = np.array(CHANNELS, dtype=object)[np.argmax(score, axis=1)]
    has = history.any(axis=1) & candidates.any(axis=1)
    return np.where(has, best, np.array(None))


def reachable_matrix(reachable: StrArray) -> BoolArray:
    """(users × :data:`CHANNELS`) booleans from ``,ch1,ch2,`` lists."""
    return np.array(
        [[f",{c}," in (r or "") for c in CHANNELS] for r in reachable], dtype=bool
    ).reshape(len(reachable), len(CHANNELS))

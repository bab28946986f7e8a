"""Persons of the sample population and their hidden truth (vectorized, one chunk at a time).

A *person* is the truth behind one or two user *records*. Purchases follow the BG/NBD story
(Fader, Hardie & Lee 2005): while alive a buyer orders at rate ``λ ~ Gamma(r, α)`` and after
each repeat order drops out with probability ``p ~ Beta(a, b)``; spend per order follows
Gamma-Gamma (``z ~ Gamma(p, ν)``, ``ν ~ Gamma(q, γ)``). A quarter of buyers of consumables
replenish on a cycle (Gamma inter-arrival times of shape 5 instead of exponential).

The sandbox's response propensities are per channel (P(open)) and per content type
(P(click | open)), plus ``base_conversion`` (P(convert | click)); the content that matches a
person's persona gets a clearly higher propensity (mean 0.30 against 0.06).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from userops.cdp.sample.corpus import CATEGORIES, CONSUMABLE
from userops.cdp.sample.np import F64, I64, B
from userops.cdp.sample.text import EN_ZONES, ZH_ZONES, Zone
from userops.cdp.sample.time import DAY, Calendar
from userops.domain import CHANNELS, ContentType

CONTENT: tuple[str, ...] = tuple(c.value for c in ContentType)
SOURCES: tuple[str, ...] = ("app", "web", "miniprogram", "wechat", "store")
SOURCE_WEIGHTS = {"zh": (0.35, 0.10, 0.25, 0.15, 0.15), "en": (0.42, 0.30, 0.02, 0.01, 0.25)}
PERSONA_WEIGHTS = {"zh": (0.25, 0.35, 0.25, 0.15), "en": (0.30, 0.30, 0.20, 0.20)}
CHANNEL_BASE = {
    "sms": 0.10, "app_push": 0.07, "email": 0.12, "wechat_template": 0.16, "wecom": 0.28,
    "miniprogram": 0.14, "voice_call": 0.35, "webhook": 0.05,
}  # fmt: skip
"""Mean P(open) per channel before the person's own preference."""
NATURAL_CHANNEL = ("app_push", "email", "miniprogram", "wechat_template", "sms")
"""The channel a person whose primary record comes from each source tends to prefer."""
BG_NBD = {"r": 0.9, "alpha": 40.0, "a": 1.8, "b": 6.0}
"""Population parameters of the purchase process (rates per day)."""
GG_P, GG_Q = 6.0, 3.5
GG_GAMMA = {"zh": 62.5, "en": 25.0}
"""Spend per order: mean 150 CNY (zh) or 60 USD (en)."""
BUYER_SHARE = {"zh": 0.75, "en": 0.70}
SECOND_RECORD_SHARE = 0.12
"""Share of persons with a second record from another touchpoint."""


@dataclass
class Persons:
    """One chunk of persons: index, place, time, hidden propensities, purchase process."""

    gidx: I64
    """Global person number (0-based); external ids are built from it."""
    zone: I64
    """Index into the language's zones."""
    offset_s: I64
    """Standard UTC offset of the person's zone, seconds."""
    signup_t: F64
    """Signup time, days since the calendar's day 0."""
    source: I64
    """Index into ``SOURCES`` of the primary record."""
    second: I64
    """Index into ``SOURCES`` of the second record, -1 when there is none."""
    second_t: F64
    """Creation time of the second record (days); meaningless when ``second`` is -1."""
    persona: I64
    """Index into ``CONTENT``."""
    p_channel: F64
    """(n, len(CHANNELS)) P(open) per channel."""
    p_content: F64
    """(n, 4) P(click | open) per content type."""
    base_conversion: F64
    """P(convert | click)."""
    buyer: B
    """Will make a first purchase (if the window allows)."""
    lam: F64
    """Purchase rate per day while alive."""
    p_drop: F64
    """Dropout probability after each repeat purchase."""
    shape: F64
    """Shape of inter-purchase times (1 = Poisson process, 5 = replenishment cycle)."""
    nu: F64
    """Gamma-Gamma rate of spend per order (mean spend 6 / ν)."""
    fav: I64
    """(n, 2) favourite categories, indices into ``CATEGORIES``."""

    @property
    def n(self) -> int:
        """Number of persons in the chunk."""
        return len(self.gidx)

    def signup_ts(self, cal: Calendar) -> I64:
        """Signup time as epoch seconds."""
        return (cal.start_ts + self.signup_t * DAY).astype(np.int64)


def zones(language: str) -> tuple[Zone, ...]:
    """Return the zones of a population in ``language``."""
    return ZH_ZONES if language == "zh" else EN_ZONES


def _choice(rng: np.random.Generator, weights: tuple[float, ...], n: int) -> I64:
    w = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(w), size=n, p=w / w.sum()).astype(np.int64)


def _sources(rng: np.random.Generator, language: str, n: int) -> tuple[I64, I64]:
    weights = SOURCE_WEIGHTS[language]
    first = _choice(rng, weights, n)
    second = _choice(rng, weights, n)
    clash = second == first
    while clash.any():  # a second record always comes from another touchpoint
        second[clash] = _choice(rng, weights, int(clash.sum()))
        clash = second == first
    second[rng.random(n) >= SECOND_RECORD_SHARE] = -1
    return first, second


def _propensities(rng: np.random.Generator, persona: I64, source: I64) -> tuple[F64, F64, F64]:
    n = len(persona)
    match = rng.beta(6.0, 14.0, size=(n, len(CONTENT)))
    other = rng.beta(1.5, 22.0, size=(n, len(CONTENT)))
    is_match = persona[:, None] == np.arange(len(CONTENT))[None, :]
    p_content = np.where(is_match, match, other)
    base = np.array([CHANNEL_BASE[c] for c in CHANNELS])
    p_channel = base[None, :] * rng.lognormal(0.0, 0.4, size=(n, len(CHANNELS)))
    natural = np.array([CHANNELS.index(c) for c in NATURAL_CHANNEL])[source]
    preferred = np.where(rng.random(n) < 0.6, natural, rng.integers(0, 7, size=n))
    p_channel[np.arange(n), preferred] *= 2.5
    base_conv = rng.beta(2.0, 14.0, size=n)
    return np.clip(p_channel, 0.005, 0.95), p_content, base_conv


def make_persons(
    rng: np.random.Generator, first: int, n: int, cal: Calendar, language: str
) -> Persons:
    """Draw ``n`` persons numbered from ``first``."""
    zs = zones(language)
    zone = _choice(rng, tuple(z.weight for z in zs), n)
    offsets = np.array([int(z.offset_h * 3600) for z in zs], dtype=np.int64)
    new = rng.random(n) < 0.08
    days_ago = np.where(new, 30.0 * rng.random(n), 730.0 * rng.random(n) ** 1.3)
    signup_t = np.clip(cal.end_t - days_ago, 0.0, cal.end_t - 1e-4)
    source, second = _sources(rng, language, n)
    second_t = signup_t + (cal.end_t - signup_t) * rng.beta(1.0, 2.5, size=n)
    persona = _choice(rng, PERSONA_WEIGHTS[language], n)
    p_channel, p_content, base_conv = _propensities(rng, persona, source)
    fav = rng.integers(0, len(CATEGORIES), size=(n, 2))
    consumable = np.array([c in CONSUMABLE for c in CATEGORIES])[fav[:, 0]]
    lam = rng.gamma(BG_NBD["r"], 1.0 / BG_NBD["alpha"], size=n)
    shape = np.ones(n)
    cyc = consumable & (rng.random(n) < 0.25)
    lam[cyc] = 1.0 / rng.choice([30.0, 45.0, 60.0, 90.0], size=int(cyc.sum()))
    shape[cyc] = 5.0
    nu = rng.gamma(GG_Q, 1.0 / GG_GAMMA[language], size=n)
    return Persons(
        gidx=np.arange(first, first + n, dtype=np.int64),
        zone=zone,
        offset_s=offsets[zone],
        signup_t=signup_t,
        source=source,
        second=second,
        second_t=second_t,
        persona=persona,
        p_channel=p_channel,
        p_content=p_content,
        base_conversion=base_conv * (1.0 + 4.0 * np.minimum(lam, 0.1)),
        buyer=rng.random(n) < BUYER_SHARE[language],
        lam=lam,
        p_drop=rng.beta(BG_NBD["a"], BG_NBD["b"], size=n),
        shape=shape,
        nu=nu,
        fav=fav,
    )

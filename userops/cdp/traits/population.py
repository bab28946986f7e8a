"""The population statistics that per-user traits are relative to, saved at each full build.

A user's RFM scores rank them among all buyers, the LTV tier places them among the buyers'
terciles, the preferred channel shrinks their open rates towards each channel's store-wide
rate, the content persona has a store-wide prior, and P(alive), expected orders and spend come
from models fitted on every buyer. The full build (:func:`userops.cdp.traits.build.build_profiles`)
fits all of these and appends them as one ``model_fits`` row (``model = traits_population``);
the incremental path (:mod:`userops.cdp.traits.incremental`) scores the users it recomputes
against the newest such row, without a refit (docs/traits.md, "Incremental updates").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, insert, select

from userops.cdp.predict.score import BgNbdParams, Fitted, GammaGammaParams
from userops.cdp.traits.rules import RFM_KEYS, FloatArray
from userops.store.models import ModelFit

MODEL = "traits_population"
"""``model_fits.model`` of the rows written here."""


@dataclass(frozen=True)
class Population:
    """Everything store-wide that one user's traits depend on, as of one full build."""

    fitted: Fitted
    """BG/NBD and Gamma-Gamma parameters (None: not fitted) and the store's spend mean."""
    rfm_cuts: dict[str, FloatArray]
    """``r``, ``f``, ``m`` -> the 4 quintile cuts (:func:`traits_rules.rfm_cuts`)."""
    ltv_cuts: tuple[float, float]
    """The 1/3 and 2/3 quantiles of ltv_12m among buyers (:func:`traits_rules.ltv_cuts`)."""
    channel_priors: FloatArray
    """(channels × 2) Beta prior mean and strength (:func:`traits_channel.channel_priors`)."""
    content_prior: FloatArray
    """Log prior per content type (:func:`traits_rules.content_prior`)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (``inf`` cuts are ``null``: JSON has no infinity; read as inf)."""
        f = self.fitted
        return {
            "bgnbd": None if f.bgnbd is None else f.bgnbd.to_dict(),
            "gamma_gamma": None if f.gamma_gamma is None else f.gamma_gamma.to_dict(),
            "spend_mean": f.spend_mean,
            "rfm_cuts": {k: _floats(self.rfm_cuts[k]) for k in RFM_KEYS},
            "ltv_cuts": _floats(self.ltv_cuts),
            "channel_priors": [_floats(row) for row in self.channel_priors],
            "content_prior": _floats(self.content_prior),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Population:
        """Read back :meth:`to_dict`."""
        bgnbd = None if d["bgnbd"] is None else BgNbdParams(**d["bgnbd"])
        gamma = None if d["gamma_gamma"] is None else GammaGammaParams(**d["gamma_gamma"])
        lo, hi = _array(d["ltv_cuts"])
        return cls(
            fitted=Fitted(bgnbd, gamma, float(d["spend_mean"])),
            rfm_cuts={k: _array(d["rfm_cuts"][k]) for k in RFM_KEYS},
            ltv_cuts=(float(lo), float(hi)),
            channel_priors=np.array([_array(row) for row in d["channel_priors"]]),
            content_prior=_array(d["content_prior"]),
        )


def _floats(values: Any) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, dtype=np.float64)]


def _array(values: list[float | None]) -> FloatArray:
    return np.array([np.inf if v is None else v for v in values], dtype=np.float64)


def save(conn: Connection, population: Population, as_of_ts: int) -> None:
    """Append ``population`` to ``model_fits`` in the caller's transaction."""
    row = {"model": MODEL, "as_of_ts": as_of_ts, "params": population.to_dict()}
    conn.execute(insert(ModelFit), row)


def latest(conn: Connection) -> Population | None:
    """The population of the newest full build, or None if no build has saved one."""
    query = (
        select(ModelFit.params).where(ModelFit.model == MODEL).order_by(ModelFit.id.desc()).limit(1)
    )
    params = conn.execute(query).scalar()
    return None if params is None else Population.from_dict(params)
